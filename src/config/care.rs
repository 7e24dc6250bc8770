//! `[care]`: the care queue (docs/SPEC.md §8). How many days of posts a
//! queue looks at, each lane's answer time, and the topic rules that name a
//! shout's topic and route it to a team. The rules reach the SQL as a
//! registered table (`care::topics_table`), never as SQL text.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The lanes of the care queue, in queue order (docs/SPEC.md §8).
pub const LANES: [&str; 6] = [
    "customer_p1",
    "customer_p2",
    "customer_p3",
    "customer_p4",
    "influencer_prospect",
    "public",
];

/// The topic of a shout that matches no rule.
pub const OTHER_TOPIC: &str = "other";

/// Longest answer time a lane may have: 30 days, in minutes.
const MAX_SLA_MINUTES: u32 = 43_200;

/// `[care]`: the care queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CareSettings {
    /// Days of posts the queue of D looks at: posted_at in
    /// [day_start(D − (queue_days − 1)), day_start(D + 1)); 1 ..=
    /// `mentions_days` (flag `--queue-days`).
    pub queue_days: u32,
    /// The route (team) of a shout that matches no topic rule.
    pub other_route: String,
    /// Minutes to answer, per lane: every lane of [`LANES`], no other key.
    /// Written in the file, the table replaces the defaults as a whole.
    pub sla_minutes: BTreeMap<String, u32>,
    /// The topic rules, in the order they are tried: the first that matches
    /// names the topic. Written in the file, the list replaces the defaults.
    pub topics: Vec<TopicRule>,
}

/// `[[care.topics]]`: one topic rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopicRule {
    /// The topic a matching shout gets (unique; not `other`).
    pub name: String,
    /// The team that answers it.
    pub route: String,
    /// Whole words or phrases, matched case-insensitively (docs/SPEC.md §8).
    pub keywords: Vec<String>,
    /// A match means the author says they may leave.
    #[serde(default)]
    pub churn_intent: bool,
    /// A match makes the post a shout whatever its sentiment.
    #[serde(default)]
    pub shout: bool,
}

fn rule(name: &str, route: &str, keywords: &[&str], churn_intent: bool) -> TopicRule {
    TopicRule {
        name: name.into(),
        route: route.into(),
        keywords: keywords.iter().map(|k| k.to_string()).collect(),
        churn_intent,
        shout: churn_intent,
    }
}

impl Default for CareSettings {
    fn default() -> Self {
        let sla = [60, 120, 240, 480, 120, 1440];
        CareSettings {
            queue_days: 2,
            other_route: "care_desk".into(),
            sla_minutes: LANES
                .iter()
                .zip(sla)
                .map(|(l, m)| (l.to_string(), m))
                .collect(),
            topics: vec![
                // first: a customer who says they are leaving goes to the
                // retention team whatever else the post is about
                rule(
                    "churn",
                    "retention",
                    &[
                        "switching to",
                        "cancel",
                        "cancelling",
                        "canceling",
                        "leaving",
                        "port out",
                    ],
                    true,
                ),
                rule(
                    "network",
                    "network_ops",
                    &["outage", "no signal", "dropped calls", "slow data"],
                    false,
                ),
                rule(
                    "billing",
                    "billing",
                    &["bill", "bills", "charged", "overcharged", "refund"],
                    false,
                ),
                rule(
                    "devices",
                    "devices",
                    &["phone", "handset", "sim card", "router", "modem"],
                    false,
                ),
                rule(
                    "service",
                    "customer_service",
                    &["agent", "on hold", "store"],
                    false,
                ),
            ],
        }
    }
}

impl CareSettings {
    /// The answer time of `lane` in minutes (validated settings have every lane).
    pub fn sla(&self, lane: &str) -> u32 {
        self.sla_minutes.get(lane).copied().unwrap_or(0)
    }

    /// Reject a bad `[care]` section, naming the key (exit 2).
    pub fn validate(&self, mentions_days: u32) -> Result<()> {
        let usage = |m: String| Err(Error::Usage(m));
        if self.queue_days == 0 || self.queue_days > mentions_days {
            return usage(format!(
                "care.queue_days must be in 1..=windows.mentions_days ({mentions_days}), got {}",
                self.queue_days
            ));
        }
        if self.other_route.trim().is_empty() {
            return usage("care.other_route must not be empty".into());
        }
        for lane in LANES {
            match self.sla_minutes.get(lane) {
                None => {
                    return usage(format!(
                        "care.sla_minutes.{lane} is missing: every lane needs an answer time ({})",
                        LANES.join(", ")
                    ))
                }
                Some(&m) if m == 0 || m > MAX_SLA_MINUTES => {
                    return usage(format!(
                        "care.sla_minutes.{lane} must be in 1..={MAX_SLA_MINUTES}, got {m}"
                    ))
                }
                Some(_) => {}
            }
        }
        if let Some(other) = self
            .sla_minutes
            .keys()
            .find(|k| !LANES.contains(&k.as_str()))
        {
            return usage(format!(
                "care.sla_minutes.{other}: no such lane (lanes: {})",
                LANES.join(", ")
            ));
        }
        let mut names = BTreeSet::new();
        for (i, t) in self.topics.iter().enumerate() {
            let key = format!("care.topics[{i}]");
            let name = t.name.trim();
            if name.is_empty() {
                return usage(format!("{key}.name must not be empty"));
            }
            if name == OTHER_TOPIC {
                return usage(format!(
                    "{key}.name: \"{OTHER_TOPIC}\" is the topic of a post no rule matches"
                ));
            }
            if !names.insert(name.to_string()) {
                return usage(format!("{key}.name: duplicate topic name {name:?}"));
            }
            if t.route.trim().is_empty() {
                return usage(format!("{key}.route ({name}) must not be empty"));
            }
            if t.keywords.is_empty() {
                return usage(format!(
                    "{key}.keywords ({name}) must list at least one keyword"
                ));
            }
            if let Some(j) = t.keywords.iter().position(|k| k.trim().is_empty()) {
                return usage(format!(
                    "{key}.keywords[{j}] ({name}) is empty: a keyword needs a word"
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{RunConfig, Settings};

    fn usage(toml: &str) -> String {
        let s = Settings::from_toml_str(toml).unwrap();
        let e = RunConfig::new(None, s).unwrap_err();
        assert_eq!(e.exit_code(), 2, "{e}");
        e.to_string()
    }

    #[test]
    fn defaults_are_valid_and_cover_every_lane() {
        let c = CareSettings::default();
        c.validate(30).unwrap();
        assert_eq!(c.sla("customer_p1"), 60);
        assert_eq!(c.sla("public"), 1440);
        assert_eq!(c.topics[0].name, "churn");
        assert!(c.topics[0].churn_intent && c.topics[0].shout);
        assert!(c.topics[1..].iter().all(|t| !t.churn_intent && !t.shout));
    }

    #[test]
    fn bad_rules_are_usage_errors_naming_the_key() {
        let rule = |name: &str, kw: &str| {
            format!("[[care.topics]]\nname = \"{name}\"\nroute = \"r\"\nkeywords = {kw}\n")
        };
        let e = usage(&rule("x", "[]"));
        assert!(e.contains("care.topics[0].keywords (x)"), "{e}");
        let e = usage(&rule("x", "[\"ok\", \"  \"]"));
        assert!(e.contains("care.topics[0].keywords[1] (x)"), "{e}");
        let e = usage(&format!("{}{}", rule("x", "[\"a\"]"), rule("x", "[\"b\"]")));
        assert!(e.contains("care.topics[1].name: duplicate"), "{e}");
        let e = usage(&rule("other", "[\"a\"]"));
        assert!(e.contains("care.topics[0].name"), "{e}");
        let e = usage("[care.sla_minutes]\ncustomer_p1 = 30\n");
        assert!(e.contains("care.sla_minutes.customer_p2 is missing"), "{e}");
        let all = LANES.map(|l| format!("{l} = 10\n")).concat();
        let e = usage(&format!("[care.sla_minutes]\n{all}vip = 5\n"));
        assert!(e.contains("care.sla_minutes.vip"), "{e}");
        let e = usage(&format!(
            "[care.sla_minutes]\n{}",
            all.replace("public = 10", "public = 0")
        ));
        assert!(e.contains("care.sla_minutes.public"), "{e}");
        let e = usage("[care]\nqueue_days = 31\n");
        assert!(e.contains("care.queue_days"), "{e}");
        assert!(Settings::from_toml_str("[care]\nqueue_day = 2\n").is_err());
        // a full table of lanes replaces the defaults
        let s = Settings::from_toml_str(&format!("[care.sla_minutes]\n{all}")).unwrap();
        assert_eq!(s.care.sla("public"), 10);
        RunConfig::new(None, s).unwrap();
    }
}
