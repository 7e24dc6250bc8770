-- 34_circle_links: who is in whose circle (docs/SPEC.md §9.3): for every
-- handle of the graph, each other handle linked to it either way (an edge
-- of 30_interaction_edges in either direction), once.
SELECT src AS handle, dst AS linked FROM interaction_edges
UNION
SELECT dst AS handle, src AS linked FROM interaction_edges
