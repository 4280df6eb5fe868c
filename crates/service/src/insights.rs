//! Business insights (issue 16, item 6): what an account's DMs did over a period —
//! conversations people started and where from, messages in and out, how long people waited
//! for a first answer, button and card clicks, satisfaction. Read from what each send keeps
//! (`postern_store::tally`: an account's hours, each conversation's start) and the cold
//! tables that count card clicks and survey answers, so a period costs its hours and its
//! conversations, not its messages.

use chrono::{DateTime, Duration, Utc};
use postern_core::feedback::SurveyType;
use postern_core::insights::{
    ButtonCounts, CardCounts, FirstResponse, HOUR_MS, Insights, MessageCounts, SOURCES, Started,
};
use postern_core::{Error, Result, UserId};
use postern_store::cold::{ColdRow, Statement, int};

use crate::Services;
use crate::feedback::ResultsQuery;

/// A period when none is asked: the last 30 days.
const DEFAULT_DAYS: i64 = 30;

impl Services {
    /// `GET /insights?from=&to=`: days (`YYYY-MM-DD`, UTC; `to` included) or RFC 3339 times,
    /// taken out to whole hours (insights count by the hour); the answer says which.
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
        let first_hour = from.timestamp_millis().div_euclid(HOUR_MS);
        let end_hour = (to.timestamp_millis() + HOUR_MS - 1).div_euclid(HOUR_MS);
        let (from, to) = (hour_start("from", first_hour)?, hour_start("to", end_hour)?);
        let (lo, hi) = (first_hour * HOUR_MS, end_hour * HOUR_MS);
        let rows = self
            .store
            .cold()
            .select_all(vec![
                Statement::new(
                    "SELECT CAST(coalesce(sum(received), 0) AS BIGINT), CAST(coalesce(sum(sent), 0) AS BIGINT),
                            CAST(coalesce(sum(buttons), 0) AS BIGINT), CAST(coalesce(sum(clicks), 0) AS BIGINT)
                     FROM dm_hours WHERE account_id = ?1 AND hour >= ?2 AND hour < ?3",
                    vec![int(me.0), int(first_hour), int(end_hour)],
                ),
                Statement::new(
                    "SELECT source, count(*), count(answered_at) FROM dm_starts
                     WHERE account_id = ?1 AND started_at >= ?2 AND started_at < ?3 GROUP BY source",
                    vec![int(me.0), int(lo), int(hi)],
                ),
                Statement::new(
                    "SELECT count(*) FROM dm_starts
                     WHERE starter_id = ?1 AND from_post = 1 AND started_at >= ?2 AND started_at < ?3",
                    vec![int(me.0), int(lo), int(hi)],
                ),
            ])
            .await?;
        let [hours, starts, switched] = rows.as_slice() else {
            return Err(Error::internal("insights: three statements, three answers"));
        };
        let total = |i: usize| count(hours.first(), i);
        let (started, answered) = started(starts, count(switched.first(), 0)?)?;
        let first_response = self.first_response(me, lo, hi, answered, &started).await?;
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
            messages: MessageCounts {
                received: total(0)?,
                sent: total(1)?,
            },
            first_response,
            buttons: ButtonCounts {
                buttons: total(2)?,
                clicks: total(3)?,
            },
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

    /// How long the people who started conversations in the period waited for the account's
    /// first answer: the median and 90th percentile (nearest rank), each read as one row of
    /// the waits in order, so a busy account's thousands of conversations stay in the database.
    async fn first_response(
        &self,
        me: UserId,
        lo: i64,
        hi: i64,
        answered: u64,
        started: &Started,
    ) -> Result<FirstResponse> {
        let people = started.total - started.by_source.get("switch_to_dm").copied().unwrap_or(0);
        let mut response = FirstResponse {
            answered,
            unanswered: people.saturating_sub(answered),
            median_seconds: None,
            p90_seconds: None,
        };
        if answered == 0 {
            return Ok(response);
        }
        let wait = |q: f64| {
            let rank = nearest_rank(q, answered);
            Statement::new(
                "SELECT answered_at - started_at FROM dm_starts
                 WHERE account_id = ?1 AND started_at >= ?2 AND started_at < ?3 AND answered_at IS NOT NULL
                 ORDER BY answered_at - started_at LIMIT 1 OFFSET ?4",
                vec![int(me.0), int(lo), int(hi), int(rank - 1)],
            )
        };
        let rows = self
            .store
            .cold()
            .select_all(vec![wait(0.5), wait(0.9)])
            .await?;
        let seconds = |i: usize| -> Result<Option<f64>> {
            let ms = rows
                .get(i)
                .and_then(|r| r.first())
                .map(|r| r.int(0))
                .transpose()?;
            Ok(ms.map(|ms| (ms as f64 / 100.0).round() / 10.0))
        };
        response.median_seconds = seconds(0)?;
        response.p90_seconds = seconds(1)?;
        Ok(response)
    }

    async fn card_counts(&self, me: UserId, lo: i64, hi: i64) -> Result<CardCounts> {
        const DAY_MS: i64 = 86_400_000;
        let rows = self
            .store
            .cold()
            .select_all(vec![
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
        let impressions = count(rows.first().and_then(|r| r.first()), 0)?;
        let clicks = count(rows.get(1).and_then(|r| r.first()), 0)?;
        Ok(CardCounts {
            impressions,
            clicks,
            conversations: count(rows.get(2).and_then(|r| r.first()), 0)?,
            click_through: (impressions > 0)
                .then(|| (1000.0 * clicks as f64 / impressions as f64).round() / 10.0),
        })
    }
}

/// Conversations started with the account, by source (its own Switch to DM among them),
/// and how many of those people started were answered.
fn started(by_source: &[ColdRow], switched: u64) -> Result<(Started, u64)> {
    let mut started = Started {
        total: switched,
        by_source: SOURCES.iter().map(|s| ((*s).to_owned(), 0)).collect(),
    };
    started.by_source.insert("switch_to_dm".into(), switched);
    let mut answered = 0;
    for r in by_source {
        let n = count(Some(r), 1)?;
        *started.by_source.entry(r.text(0)?).or_default() += n;
        started.total += n;
        answered += count(Some(r), 2)?;
    }
    Ok((started, answered))
}

fn hour_start(field: &str, hour: i64) -> Result<DateTime<Utc>> {
    DateTime::from_timestamp_millis(hour.saturating_mul(HOUR_MS))
        .ok_or_else(|| Error::invalid(field, "is out of range"))
}

fn count(row: Option<&ColdRow>, i: usize) -> Result<u64> {
    let n = row.map(|r| r.int(i)).transpose()?.unwrap_or(0);
    Ok(u64::try_from(n).unwrap_or(0))
}

/// The nearest rank (1-based) of the `q` quantile of `n` values.
fn nearest_rank(q: f64, n: u64) -> i64 {
    let n = i64::try_from(n).unwrap_or(i64::MAX);
    ((q * n as f64).ceil() as i64).clamp(1, n.max(1))
}

#[cfg(test)]
mod tests {
    use super::nearest_rank;

    #[test]
    fn quantiles_take_the_nearest_rank() {
        assert_eq!(nearest_rank(0.5, 10), 5);
        assert_eq!(nearest_rank(0.9, 10), 9);
        assert_eq!(nearest_rank(0.5, 11), 6);
        assert_eq!(nearest_rank(0.9, 1), 1);
        assert_eq!(nearest_rank(0.5, 0), 1);
    }
}
