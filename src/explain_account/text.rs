//! The text of `explain-account` for a care agent: a header, then one block
//! per part of the score, tables aligned in columns. Scores are shown to 4
//! decimals (the `--json` document has them in full).

use super::{Component, Explanation, Outcome};

/// Rows of cells, each column padded to its widest cell, two spaces apart;
/// every line indented by `indent`.
fn table(indent: &str, rows: &[Vec<String>]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        let mut line = indent.to_string();
        for (c, cell) in row.iter().enumerate() {
            let pad = widths[c].saturating_sub(cell.chars().count());
            line.push_str(cell);
            if c + 1 < row.len() {
                line.push_str(&" ".repeat(pad + 2));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map_or("(none)".into(), T::to_string)
}

/// A double in full, with at least two decimals (`0.2` → `0.20`, `75` →
/// `75.00`, `0.125` stays).
fn num(v: f64) -> String {
    let text = v.to_string();
    match text.split_once('.') {
        None if v.is_finite() => format!("{text}.00"),
        Some((_, decimals)) if decimals.len() == 1 => format!("{text}0"),
        _ => text,
    }
}

/// `1 service`, `2 services`.
fn plural(n: i64, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

/// `1 provider`, `2 providers`.
fn providers(n: usize) -> String {
    plural(n as i64, "provider")
}

fn opt_num(v: Option<f64>) -> String {
    v.map_or("(none)".into(), num)
}

fn cells(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// A component's row: name, what is behind it, score × weight = weighted.
fn term<I>(name: &str, input: String, c: &Component<I>) -> Vec<String> {
    vec![
        name.into(),
        input,
        format!("{:.4}", c.score),
        "×".into(),
        num(c.weight),
        "=".into(),
        format!("{:.4}", c.weighted),
    ]
}

impl Explanation {
    /// The explanation as text for a care agent.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let outcome = match self.outcome {
            Outcome::Scored => "scored",
            Outcome::NotScored => "valid, not scored",
            Outcome::Rejected => "rejected",
        };
        out.push_str(&format!(
            "Account {} on snapshot {}: {outcome}\n",
            self.account_id, self.snapshot_date
        ));
        if let Some(a) = &self.account {
            out.push_str(&format!(
                "  status {}, segment {}, region {}, plan {}\n",
                a.status,
                opt(&a.segment),
                opt(&a.region),
                opt(&a.plan)
            ));
            if self.outcome == Outcome::NotScored {
                out.push_str(
                    "  not in the scored population (active or suspended): no customer_tiers row\n",
                );
            }
        }
        if !self.rejected_rows.is_empty() {
            out.push_str("\nRejected rows with this account_id (not used)\n");
            let mut rows = vec![cells(&["reject_reason", "source_file"])];
            for r in &self.rejected_rows {
                rows.push(vec![r.reject_reason.clone(), r.source_file.clone()]);
            }
            out.push_str(&table("  ", &rows));
        }
        if self.account.is_none() {
            out.push_str("  no valid row: not scored, in no output\n");
        }
        self.score_text(&mut out);
        self.handle_text(&mut out);
        self.mentions_text(&mut out);
        self.shouts_text(&mut out);
        self.circle_text(&mut out);
        self.survey_text(&mut out);
        out
    }

    /// Components, value_score, tier and care priority.
    fn score_text(&self, out: &mut String) {
        let (Some(c), Some(v), Some(a)) = (&self.components, &self.value, &self.account) else {
            return;
        };
        out.push_str("\nValue score\n");
        let s = &c.spend.inputs;
        let i = &c.influence.inputs;
        let mut rows = vec![cells(&[
            "component",
            "input",
            "score",
            "",
            "weight",
            "",
            "weighted",
        ])];
        rows.push(term(
            "spend",
            format!(
                "monthly_spend {}, rank {} of {}: ({} - 1) / ({} - 1)",
                s.monthly_spend, s.rank, s.n, s.rank, s.n
            ),
            &c.spend,
        ));
        rows.push(term(
            "payment",
            format!(
                "{} of {} invoices due paid on time",
                c.payment.inputs.invoices_paid_on_time_12m, c.payment.inputs.invoices_due_12m
            ),
            &c.payment,
        ));
        rows.push(term(
            "services",
            plural(c.services.inputs.services_count, "service"),
            &c.services,
        ));
        let tenure = match (&a.signup_date, a.tenure_days) {
            (Some(d), Some(days)) => format!("signed up {d}, {days} days before D"),
            _ => "no signup date".into(),
        };
        rows.push(term("tenure", tenure, &c.tenure));
        let influence = match i.influence_norm {
            Some(norm) => format!(
                "influence_norm {} / 100 ({})",
                num(norm),
                providers(i.providers)
            ),
            None => "no influence_norm".into(),
        };
        rows.push(term("influence", influence, &c.influence));
        rows.push(vec![
            String::new(),
            String::new(),
            String::new(),
            "Σ".into(),
            num(v.weight_total),
            "Σ".into(),
            format!("{:.4}", v.weighted_sum),
        ]);
        out.push_str(&table("  ", &rows));
        out.push_str(&format!(
            "  value_score = round(100 × {:.4} / {}, 2) = round({:.4}, 2) = {:.2}\n",
            v.weighted_sum,
            num(v.weight_total),
            v.unrounded,
            v.value_score
        ));
        let t = &v.tier_thresholds;
        out.push_str(&format!(
            "  tier {} (platinum ≥ {}, gold ≥ {}, silver ≥ {}, else bronze), value_rank {} of {}\n",
            v.tier,
            num(t.platinum),
            num(t.gold),
            num(t.silver),
            v.value_rank,
            s.n
        ));
        if let Some(cp) = &self.care_priority {
            out.push_str(&format!(
                "\nCare priority {} (1 = served first)\n",
                cp.priority
            ));
            out.push_str(&format!("  rule {}: {}\n", cp.priority, cp.rule));
            match cp.priority {
                2 => out.push_str("  rule 1 does not hold\n"),
                3 => out.push_str("  rules 1–2 do not hold\n"),
                _ => {}
            }
            out.push_str(&format!(
                "  with tier {}, negative_mentions_30d {}, nps_category {}, is_influencer {}\n",
                cp.tier,
                cp.negative_mentions_30d,
                opt(&cp.nps_category),
                cp.is_influencer
            ));
        }
    }

    /// The handle, who holds it, and the influence rows behind the score.
    fn handle_text(&self, out: &mut String) {
        if self.account.is_none() {
            return;
        }
        let Some(h) = &self.handle else {
            out.push_str("\nSocial handle: none (no mentions, no influence)\n");
            return;
        };
        let maps = match (&h.mapped_to, h.ambiguous) {
            (_, Some(true)) => {
                "ambiguous: held by two or more scored accounts, maps to nobody (no mentions, no influence)"
                    .to_string()
            }
            (Some(to), _) if *to == self.account_id => format!("maps to {to}"),
            (Some(to), _) => format!("maps to {to}, not to this account"),
            (None, _) => "maps to nobody".to_string(),
        };
        out.push_str(&format!("\nSocial handle {}: {maps}\n", h.handle));
        for o in &h.held_by {
            let scored = if o.scored { "scored" } else { "not scored" };
            out.push_str(&format!(
                "  also held by {} ({}, {scored})\n",
                o.account_id, o.status
            ));
        }
        let w = &self.windows.influence;
        out.push_str(&format!("\nInfluence (window {} to {})\n", w.from, w.until));
        if self.influence_rows.is_empty() {
            out.push_str("  no valid score for this handle in the window\n");
        } else {
            let mut rows = vec![cells(&[
                "provider",
                "score",
                "÷",
                "scaled",
                "scored_at",
                "used",
                "source_file",
            ])];
            for r in &self.influence_rows {
                rows.push(vec![
                    r.provider.clone(),
                    num(r.score),
                    num(r.divisor),
                    num(r.norm),
                    r.scored_at.clone(),
                    if r.used { "yes" } else { "no" }.into(),
                    r.source_file.clone(),
                ]);
            }
            out.push_str(&table("  ", &rows));
        }
        if let Some(c) = &self.components {
            let i = &c.influence.inputs;
            let norm = match i.influence_norm {
                Some(norm) => format!(
                    "influence_norm {} (mean over {} used)",
                    num(norm),
                    providers(i.providers)
                ),
                None => "influence_norm (none): no provider's score is used".into(),
            };
            out.push_str(&format!(
                "  {norm}, is_influencer {} (influence_norm ≥ {})\n",
                i.is_influencer,
                num(i.influencer_threshold)
            ));
        }
    }

    /// The matched mentions and their features.
    fn mentions_text(&self, out: &mut String) {
        let Some(m) = &self.mentions else {
            return;
        };
        let w = &self.windows.mentions;
        out.push_str(&format!("\nMentions (window {} to {})\n", w.from, w.until));
        out.push_str(&format!(
            "  mentions_30d {}, negative_mentions_30d {} (sentiment ≤ {}), avg_sentiment_30d {}\n",
            m.mentions_30d,
            m.negative_mentions_30d,
            num(m.negative_sentiment),
            opt_num(m.avg_sentiment_30d)
        ));
        if !m.matched.is_empty() {
            let mut rows = vec![cells(&[
                "mention_id",
                "platform",
                "author",
                "posted_at",
                "sentiment",
                "source_file",
            ])];
            for x in &m.matched {
                rows.push(vec![
                    x.mention_id.clone(),
                    x.platform.clone(),
                    opt(&x.author_handle),
                    x.posted_at.clone(),
                    opt_num(x.sentiment),
                    x.source_file.clone(),
                ]);
            }
            out.push_str(&table("  ", &rows));
        }
    }

    /// The account's shouts in D's care queue.
    fn shouts_text(&self, out: &mut String) {
        if self.mentions.is_none() {
            return;
        }
        if self.shouts.is_empty() {
            out.push_str("\nCare queue: no shout of this account on this date\n");
            return;
        }
        out.push_str(&format!(
            "\nCare queue: {} (due times UTC)\n",
            plural(self.shouts.len() as i64, "shout")
        ));
        let mut rows = vec![cells(&[
            "rank",
            "mention_id",
            "lane",
            "due_at",
            "topic",
            "route",
            "churn",
        ])];
        for x in &self.shouts {
            rows.push(vec![
                x.queue_rank.to_string(),
                x.mention_id.clone(),
                x.lane.clone(),
                x.due_at.clone(),
                x.topic.clone(),
                x.route.clone(),
                if x.churn_intent { "yes" } else { "no" }.into(),
            ]);
        }
        out.push_str(&table("  ", &rows));
    }

    /// The account's circle and its top linked handles.
    fn circle_text(&self, out: &mut String) {
        let Some(c) = &self.circle else {
            return;
        };
        let influence = |v: Option<f64>| v.map_or_else(|| "-".to_string(), |v| format!("{v:.2}"));
        out.push_str(&format!(
            "\nCircle (docs/SPEC.md §9): handle {}\n  {} linked, {} of them customers \
             (value {:.2}); {} received; network influence {}; circle_rank {}\n",
            c.handle.as_deref().unwrap_or("-"),
            plural(c.circle_size, "handle"),
            c.circle_customers,
            c.circle_value,
            plural(c.mentions_received, "mention"),
            influence(c.network_influence),
            c.circle_rank
        ));
        if c.top_linked.is_empty() {
            return;
        }
        let mut rows = vec![cells(&["handle", "out", "in", "customer", "influence"])];
        for l in &c.top_linked {
            rows.push(vec![
                l.handle.clone(),
                l.weight_out.to_string(),
                l.weight_in.to_string(),
                l.account_id.clone().unwrap_or_else(|| "-".into()),
                influence(l.network_influence),
            ]);
        }
        out.push_str(&table("  ", &rows));
    }

    /// The latest survey response.
    fn survey_text(&self, out: &mut String) {
        if self.account.is_none() {
            return;
        }
        let w = &self.windows.surveys;
        out.push_str(&format!(
            "\nLatest survey (window {} to {})\n",
            w.from, w.until
        ));
        match &self.survey {
            None => out.push_str("  none: nps_category (none)\n"),
            Some(s) => {
                let rows = vec![
                    cells(&[
                        "response_id",
                        "responded_at",
                        "score",
                        "nps_category",
                        "channel",
                        "source_file",
                    ]),
                    vec![
                        s.response_id.clone(),
                        s.responded_at.clone(),
                        s.score.to_string(),
                        opt(&s.nps_category),
                        opt(&s.channel),
                        s.source_file.clone(),
                    ],
                ];
                out.push_str(&table("  ", &rows));
            }
        }
    }
}
