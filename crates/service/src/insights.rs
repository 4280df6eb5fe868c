//! Business insights (issue 16, item 6): what an account's DMs did over a period —
//! conversations people started and where from, messages in and out, how long people waited
//! for a first answer, button and card clicks, satisfaction. Read from the messages
//! themselves (their `initiated_via`) and the cold tables that count clicks and answers.

use chrono::{Duration, Utc};
use postern_core::feedback::SurveyType;
use postern_core::insights::{
    ButtonCounts, CardCounts, EntrySource, FirstResponse, Insights, MessageCounts, SOURCES, Started,
};
use postern_core::parts::Parts;
use postern_core::{Result, UserId};
use postern_store::cold::{ColdRow, Statement, int};

use crate::Services;
use crate::feedback::ResultsQuery;

/// A period when none is asked: the last 30 days.
const DEFAULT_DAYS: i64 = 30;
/// What marks an automatic message's stored parts (`"automatic":true`, which JSON never
/// writes unescaped inside a string, so no text a person typed can look like it).
const NOT_AUTOMATIC: &str = "(parts IS NULL OR parts NOT LIKE '%\"automatic\":true%')";

impl Services {
    /// `GET /insights?from=&to=`: days (`YYYY-MM-DD`, UTC; `to` included) or RFC 3339 times.
    pub async fn insights(
        &self,
        me: UserId,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<Insights> {
        let to = match to {
            Some(t) => crate::feedback::instant("to", t, true)?,
            None => Utc::now(),
        };
        let from = match from {
            Some(f) => crate::feedback::instant("from", f, false)?,
            None => to - Duration::days(DEFAULT_DAYS),
        };
        let (lo, hi) = (from.timestamp_millis(), to.timestamp_millis());
        let firsts = self.first_messages(me, lo, hi).await?;
        let mut started = Started {
            total: 0,
            by_source: SOURCES.iter().map(|s| ((*s).to_owned(), 0)).collect(),
        };
        let mut waits = Vec::new();
        let mut unanswered = 0;
        for first in &firsts {
            *started
                .by_source
                .entry(source(&first.parts).into())
                .or_default() += 1;
            started.total += 1;
            match first.answered_at {
                Some(at) => waits.push((at - first.at) as f64 / 1000.0),
                None => unanswered += 1,
            }
        }
        let switched = self.switched_to_dm(me, lo, hi).await?;
        *started.by_source.entry("switch_to_dm".into()).or_default() += switched;
        started.total += switched;
        waits.sort_by(f64::total_cmp);
        let results = |kind| ResultsQuery {
            kind: Some(kind),
            from: Some(from.to_rfc3339()),
            to: Some(to.to_rfc3339()),
            ..ResultsQuery::default()
        };
        Ok(Insights {
            from,
            to,
            conversations_started: started,
            messages: self.message_counts(me, lo, hi).await?,
            first_response: FirstResponse {
                answered: waits.len() as u64,
                unanswered,
                median_seconds: percentile(&waits, 0.5),
                p90_seconds: percentile(&waits, 0.9),
            },
            buttons: self.button_counts(me, lo, hi).await?,
            cards: self.card_counts(me, lo, hi).await?,
            csat: self
                .feedback_results(me, results(SurveyType::Csat))
                .await?
                .csat,
            nps: self
                .feedback_results(me, results(SurveyType::Nps))
                .await?
                .nps,
        })
    }

    /// Each person's first message to `me` in a one-to-one conversation, sent in the period,
    /// with when `me` first answered it (not automatically), in one query.
    async fn first_messages(&self, me: UserId, lo: i64, hi: i64) -> Result<Vec<FirstMessage>> {
        let answered = NOT_AUTOMATIC.replace("parts", "r.parts");
        let rows = self
            .store
            .cold()
            .select(Statement::owned(
                format!(
                    "SELECT e.created_at, e.parts,
                        (SELECT min(r.created_at) FROM events r
                         WHERE r.conversation_id = e.conversation_id AND r.sender_id = ?1
                           AND r.kind = 0 AND r.id > e.id AND {answered})
                     FROM events e
                     JOIN participants p ON p.conversation_id = e.conversation_id AND p.user_id = ?1
                     WHERE e.kind = 0 AND e.sender_id <> ?1 AND e.created_at >= ?2 AND e.created_at < ?3
                       AND e.conversation_id LIKE '%-%'
                       AND NOT EXISTS (SELECT 1 FROM events f WHERE f.conversation_id = e.conversation_id
                                         AND f.sender_id = e.sender_id AND f.kind = 0 AND f.id < e.id)"
                ),
                vec![int(me.0), int(lo), int(hi)],
            ))
            .await?;
        rows.iter()
            .map(|r| {
                Ok(FirstMessage {
                    at: r.int(0)?,
                    parts: parts(r, 1)?,
                    answered_at: r.opt_int(2)?,
                })
            })
            .collect()
    }

    /// Conversations `me` started in the period from a post ("Switch to DM").
    async fn switched_to_dm(&self, me: UserId, lo: i64, hi: i64) -> Result<u64> {
        let rows = self
            .store
            .cold()
            .select(Statement::new(
                "SELECT conversation_id, parts FROM events
                 WHERE sender_id = ?1 AND kind = 0 AND created_at >= ?2 AND created_at < ?3
                   AND parts IS NOT NULL",
                vec![int(me.0), int(lo), int(hi)],
            ))
            .await?;
        let mut conversations = std::collections::BTreeSet::new();
        for r in &rows {
            if parts(r, 1)?
                .initiated_via
                .is_some_and(|v| v.post_id.is_some())
            {
                conversations.insert(r.text(0)?);
            }
        }
        Ok(conversations.len() as u64)
    }

    async fn message_counts(&self, me: UserId, lo: i64, hi: i64) -> Result<MessageCounts> {
        let by_hand = NOT_AUTOMATIC.replace("parts", "e.parts");
        let rows = self
            .store
            .cold()
            .select(Statement::owned(
                format!(
                    "SELECT CAST(coalesce(sum(CASE WHEN e.sender_id <> ?1 THEN 1 ELSE 0 END), 0) AS BIGINT),
                            CAST(coalesce(sum(CASE WHEN e.sender_id = ?1 AND {by_hand} THEN 1 ELSE 0 END), 0) AS BIGINT)
                     FROM events e
                     JOIN participants p ON p.conversation_id = e.conversation_id AND p.user_id = ?1
                     WHERE e.kind = 0 AND e.created_at >= ?2 AND e.created_at < ?3"
                ),
                vec![int(me.0), int(lo), int(hi)],
            ))
            .await?;
        let count = |i: usize| -> Result<u64> {
            let n = rows.first().map(|r| r.int(i)).transpose()?.unwrap_or(0);
            Ok(u64::try_from(n).unwrap_or(0))
        };
        Ok(MessageCounts {
            received: count(0)?,
            sent: count(1)?,
        })
    }

    async fn button_counts(&self, me: UserId, lo: i64, hi: i64) -> Result<ButtonCounts> {
        let rows = self
            .store
            .cold()
            .run(vec![
                Statement::new(
                    "SELECT parts FROM events WHERE sender_id = ?1 AND kind = 0
                       AND created_at >= ?2 AND created_at < ?3 AND parts IS NOT NULL",
                    vec![int(me.0), int(lo), int(hi)],
                ),
                Statement::new(
                    "SELECT CAST(coalesce(sum(c.clicks), 0) AS BIGINT) FROM button_clicks c
                     JOIN events e ON e.conversation_id = c.conversation_id AND e.id = c.event_id
                     WHERE e.sender_id = ?1 AND e.created_at >= ?2 AND e.created_at < ?3",
                    vec![int(me.0), int(lo), int(hi)],
                ),
            ])
            .await?;
        let mut counts = ButtonCounts::default();
        for r in rows.first().into_iter().flatten() {
            counts.buttons += parts(r, 0)?.ctas.len() as u64;
        }
        counts.clicks = first_count(rows.get(1))?;
        Ok(counts)
    }

    async fn card_counts(&self, me: UserId, lo: i64, hi: i64) -> Result<CardCounts> {
        const DAY_MS: i64 = 86_400_000;
        let rows = self
            .store
            .cold()
            .run(vec![
                Statement::new(
                    "SELECT count(*) FROM card_impressions i JOIN dm_cards c ON c.id = i.card_id
                     WHERE c.owner_id = ?1 AND i.day >= ?2 AND i.day <= ?3",
                    vec![int(me.0), int(lo.div_euclid(DAY_MS)), int((hi - 1).div_euclid(DAY_MS))],
                ),
                Statement::new(
                    "SELECT CAST(coalesce(sum(k.clicks), 0) AS BIGINT) FROM card_clicks k JOIN dm_cards c ON c.id = k.card_id
                     WHERE c.owner_id = ?1",
                    vec![int(me.0)],
                ),
                Statement::new(
                    "SELECT count(*) FROM card_conversations v JOIN dm_cards c ON c.id = v.card_id
                     WHERE c.owner_id = ?1 AND v.started_at >= ?2 AND v.started_at < ?3",
                    vec![int(me.0), int(lo), int(hi)],
                ),
            ])
            .await?;
        let impressions = first_count(rows.first())?;
        let clicks = first_count(rows.get(1))?;
        Ok(CardCounts {
            impressions,
            clicks,
            conversations: first_count(rows.get(2))?,
            click_through: (impressions > 0)
                .then(|| (1000.0 * clicks as f64 / impressions as f64).round() / 10.0),
        })
    }
}

struct FirstMessage {
    at: i64,
    parts: Parts,
    /// When the account first answered, not automatically.
    answered_at: Option<i64>,
}

/// Where a person's first message says it came from.
fn source(parts: &Parts) -> &'static str {
    let Some(via) = &parts.initiated_via else {
        return "direct";
    };
    if via.card_id.is_some() {
        return "card";
    }
    match via.source {
        Some(EntrySource::PostButton) => "post_button",
        Some(EntrySource::DeepLink) => "deep_link",
        None if via.welcome_message_id.is_some() => "welcome_message",
        None => "direct",
    }
}

fn parts(r: &ColdRow, i: usize) -> Result<Parts> {
    Ok(r.opt_text(i)?
        .and_then(|j| serde_json::from_str(&j).ok())
        .unwrap_or_default())
}

fn first_count(rows: Option<&Vec<ColdRow>>) -> Result<u64> {
    let n = rows
        .and_then(|rows| rows.first())
        .map(|r| r.int(0))
        .transpose()?
        .unwrap_or(0);
    Ok(u64::try_from(n).unwrap_or(0))
}

/// The `q` quantile of sorted `values` (nearest rank), in seconds to one decimal.
fn percentile(values: &[f64], q: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let rank = ((q * values.len() as f64).ceil() as usize).clamp(1, values.len());
    values.get(rank - 1).map(|v| (v * 10.0).round() / 10.0)
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn percentiles_take_the_nearest_rank() {
        let v = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0];
        assert_eq!(percentile(&v, 0.5), Some(5.0));
        assert_eq!(percentile(&v, 0.9), Some(9.0));
        assert_eq!(percentile(&[42.0], 0.9), Some(42.0));
        assert_eq!(percentile(&[], 0.5), None);
    }
}
