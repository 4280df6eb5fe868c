//! Support accounts (SPEC §3.1): open to messages from everyone, with opening hours in their
//! own time zone and an away message for those who write while they are closed.
//!
//! Hours are a weekly schedule of local times. Whether the account is open at an instant,
//! and when that next changes, come from turning the schedule's days around that instant into
//! UTC intervals with the zone's rules, so a daylight-saving change moves the hours with the
//! local clock (09:00 stays 09:00).

use chrono::{DateTime, Datelike, Days, LocalResult, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{Error, Result};
use crate::parts::{BUTTONS_MAX, Cta, QuickReply};
use crate::text;

/// An away message's text, at most this many characters (a message's own limit would allow
/// more; an away message is a line or two).
pub const AWAY_TEXT_MAX: usize = 1_000;
/// Opening periods in a week's schedule, at most.
pub const OPENINGS_MAX: usize = 50;

/// A support account's settings, as `GET/PUT /me/support` carry them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SupportSettings {
    pub enabled: bool,
    /// `null`: always open.
    #[serde(default)]
    pub hours: Option<Hours>,
    /// Sent once to whoever writes while the account is closed.
    #[serde(default)]
    pub away_message: Option<AwayMessage>,
    /// Minutes after a person last spoke in a conversation they took from the bots before it
    /// returns to them (hand-over); 0: only when passed back. At most a week.
    #[serde(default = "default_handover_idle")]
    pub handover_idle_minutes: u32,
}

/// An hour: a person who stepped in and went quiet hands back to the bots after it.
pub const HANDOVER_IDLE_DEFAULT: u32 = 60;
/// A week, in minutes.
pub const HANDOVER_IDLE_MAX: u32 = 7 * 24 * 60;

fn default_handover_idle() -> u32 {
    HANDOVER_IDLE_DEFAULT
}

impl Default for SupportSettings {
    fn default() -> Self {
        SupportSettings {
            enabled: false,
            hours: None,
            away_message: None,
            handover_idle_minutes: HANDOVER_IDLE_DEFAULT,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Hours {
    /// An IANA time zone name, such as `Europe/Berlin`.
    pub time_zone: String,
    /// When the account is open, in local time; empty means never.
    pub weekly: Vec<Opening>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Opening {
    /// `mon` … `sun`.
    pub day: String,
    /// `HH:MM`, 24-hour, `00:00` to `23:59`.
    pub open: String,
    /// `HH:MM`, `00:00` to `24:00` (the end of the day). At or before `open`, the period runs
    /// past midnight into the next day (`22:00`–`06:00`); equal to it, for 24 hours.
    pub close: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AwayMessage {
    pub text: String,
    /// Options to answer with one tap, as on any message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quick_reply: Option<QuickReply>,
    /// 1–3 buttons, as on any message.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ctas: Vec<Cta>,
}

/// What a user object says about support, at the instant it was made.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SupportStatus {
    pub enabled: bool,
    pub open_now: bool,
    /// When `open_now` next flips; `null` when it never will (always open, never open, or
    /// support off).
    pub next_change_at: Option<DateTime<Utc>>,
}

/// The days a schedule names, Monday first.
pub const DAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// Every IANA time zone name this build knows, for the API's document.
pub fn time_zones() -> Vec<&'static str> {
    chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name()).collect()
}

const DAYS: [(&str, Weekday); 7] = [
    ("mon", Weekday::Mon),
    ("tue", Weekday::Tue),
    ("wed", Weekday::Wed),
    ("thu", Weekday::Thu),
    ("fri", Weekday::Fri),
    ("sat", Weekday::Sat),
    ("sun", Weekday::Sun),
];

impl SupportSettings {
    /// Checks every field a client sent, naming the first that breaks a rule, and returns
    /// the settings as stored (the away message's text normalized).
    pub fn checked(mut self) -> Result<SupportSettings> {
        if self.handover_idle_minutes > HANDOVER_IDLE_MAX {
            return Err(Error::invalid(
                "handover_idle_minutes",
                format!("at most {HANDOVER_IDLE_MAX} (a week); 0 means only when passed back"),
            ));
        }
        if let Some(hours) = &self.hours {
            hours.schedule()?;
        }
        if let Some(away) = &mut self.away_message {
            away.text = text::free_text("away_message.text", &away.text, AWAY_TEXT_MAX)?;
            if away.text.trim().is_empty() {
                return Err(Error::invalid("away_message.text", "must not be empty"));
            }
            away.quick_reply = away
                .quick_reply
                .take()
                .map(|q| q.checked("away_message.quick_reply"))
                .transpose()?;
            if away.ctas.len() > BUTTONS_MAX {
                return Err(Error::invalid(
                    "away_message.ctas",
                    format!("at most {BUTTONS_MAX} buttons, got {}", away.ctas.len()),
                ));
            }
            away.ctas = std::mem::take(&mut away.ctas)
                .into_iter()
                .enumerate()
                .map(|(i, c)| c.checked("away_message.ctas", i))
                .collect::<Result<_>>()?;
        }
        Ok(self)
    }

    /// The status at `now`.
    pub fn status(&self, now: DateTime<Utc>) -> SupportStatus {
        if !self.enabled {
            return SupportStatus::default();
        }
        let Some(intervals) = self.intervals(now) else {
            return SupportStatus {
                enabled: true,
                open_now: true,
                next_change_at: None,
            };
        };
        let open = intervals.iter().find(|(s, e)| *s <= now && now < *e);
        SupportStatus {
            enabled: true,
            open_now: open.is_some(),
            next_change_at: match open {
                Some((_, end)) => Some(*end),
                None => intervals.iter().map(|(s, _)| *s).find(|s| *s > now),
            },
        }
    }

    /// When the account last opened at or before `now` (within the past week): the away
    /// message goes again only to someone last sent it before then. `None` when it has not
    /// opened in that time (or never closes).
    pub fn last_opened(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.intervals(now)?
            .iter()
            .map(|(s, _)| *s)
            .filter(|s| *s <= now)
            .max()
    }

    /// Open periods from a week before `now` to a week after, in UTC, merged where they
    /// touch; `None` when there are no hours (always open).
    fn intervals(&self, now: DateTime<Utc>) -> Option<Vec<Interval>> {
        let hours = self.hours.as_ref()?;
        // Stored hours were checked; a zone this build no longer knows reads as never open.
        let Ok((zone, openings)) = hours.schedule() else {
            return Some(Vec::new());
        };
        let today = now.with_timezone(&zone).date_naive();
        let mut spans = Vec::new();
        for offset in -8..=8i64 {
            let Some(date) = shift(today, offset) else {
                continue;
            };
            for (day, open, close) in &openings {
                if date.weekday() == *day {
                    spans.push((
                        at(zone, date, Some(*open)),
                        at(zone, closing_day(date, *open, *close), *close),
                    ));
                }
            }
        }
        spans.sort();
        let mut merged: Vec<Interval> = Vec::new();
        for (s, e) in spans {
            match merged.last_mut() {
                Some(last) if s <= last.1 => last.1 = last.1.max(e),
                _ => merged.push((s, e)),
            }
        }
        Some(merged)
    }
}

/// A local time: `None` stands for the end of the day (`24:00`).
type Local = Option<NaiveTime>;
/// One opening of the week: its day, and local opening and closing times.
type Span = (Weekday, NaiveTime, Local);
/// An open period as instants, from its start to its end.
type Interval = (DateTime<Utc>, DateTime<Utc>);

impl Hours {
    /// The zone and each opening's weekday and local times, or the refusal naming the field.
    fn schedule(&self) -> Result<(Tz, Vec<Span>)> {
        let zone: Tz = self.time_zone.parse().map_err(|_| {
            Error::invalid(
                "hours.time_zone",
                format!(
                    "{:?} is not an IANA time zone name (such as Europe/Berlin)",
                    self.time_zone
                ),
            )
        })?;
        if self.weekly.len() > OPENINGS_MAX {
            return Err(Error::invalid(
                "hours.weekly",
                format!(
                    "at most {OPENINGS_MAX} opening periods, got {}",
                    self.weekly.len()
                ),
            ));
        }
        let openings = self
            .weekly
            .iter()
            .enumerate()
            .map(|(i, o)| {
                let field = |name: &str| format!("hours.weekly[{i}].{name}");
                let day = DAYS
                    .iter()
                    .find(|(name, _)| *name == o.day)
                    .map(|(_, d)| *d)
                    .ok_or_else(|| {
                        Error::invalid(
                            field("day"),
                            "must be one of mon, tue, wed, thu, fri, sat, sun",
                        )
                    })?;
                let open = clock_time(&o.open, false).flatten().ok_or_else(|| {
                    Error::invalid(field("open"), "must be a time HH:MM from 00:00 to 23:59")
                })?;
                let close = clock_time(&o.close, true).ok_or_else(|| {
                    Error::invalid(field("close"), "must be a time HH:MM from 00:00 to 24:00")
                })?;
                Ok((day, open, close))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok((zone, openings))
    }
}

/// `HH:MM` as a local time; `24:00` (the end of the day, `None` inside `Some`) only where
/// `end_of_day` is allowed. Two digits each, as the document's pattern says.
fn clock_time(s: &str, end_of_day: bool) -> Option<Local> {
    if s == "24:00" {
        return end_of_day.then_some(None);
    }
    let (h, m) = s.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    if !(h.bytes().all(|b| b.is_ascii_digit()) && m.bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    let time = NaiveTime::from_hms_opt(h.parse().ok()?, m.parse().ok()?, 0)?;
    Some(Some(time))
}

/// The day a period that opens on `date` closes: the same day, or the next when it closes at
/// or before it opens (past midnight; the same time is 24 hours).
fn closing_day(date: NaiveDate, open: NaiveTime, close: Local) -> NaiveDate {
    match close {
        Some(c) if c > open => date,
        _ if close.is_none() => date,
        _ => shift(date, 1).unwrap_or(date),
    }
}

fn shift(date: NaiveDate, days: i64) -> Option<NaiveDate> {
    let n = Days::new(days.unsigned_abs());
    if days >= 0 {
        date.checked_add_days(n)
    } else {
        date.checked_sub_days(n)
    }
}

/// A local date and time in `zone` as an instant. A time the clocks skip (spring forward)
/// is taken as the instant they skip to; a time they repeat (fall back), as its first.
fn at(zone: Tz, date: NaiveDate, time: Local) -> DateTime<Utc> {
    let (date, time) = match time {
        Some(t) => (date, t),
        None => (shift(date, 1).unwrap_or(date), NaiveTime::MIN),
    };
    let local = date.and_time(time);
    match zone.from_local_datetime(&local) {
        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t.with_timezone(&Utc),
        LocalResult::None => {
            // In a gap: the first minute after it is the moment the clocks jumped to.
            (1..=180)
                .find_map(|m| {
                    zone.from_local_datetime(&(local + chrono::Duration::minutes(m)))
                        .earliest()
                })
                .map_or_else(|| Utc.from_utc_datetime(&local), |t| t.with_timezone(&Utc))
        }
    }
}

#[cfg(test)]
#[expect(
    clippy::unwrap_used,
    reason = "a test should stop loudly at the first thing it did not expect"
)]
mod tests {
    use super::*;

    fn settings(zone: &str, weekly: &[(&str, &str, &str)]) -> SupportSettings {
        SupportSettings {
            enabled: true,
            hours: Some(Hours {
                time_zone: zone.into(),
                weekly: weekly
                    .iter()
                    .map(|(d, o, c)| Opening {
                        day: (*d).into(),
                        open: (*o).into(),
                        close: (*c).into(),
                    })
                    .collect(),
            }),
            away_message: None,
            handover_idle_minutes: HANDOVER_IDLE_DEFAULT,
        }
    }

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    const EVERY_DAY: [(&str, &str, &str); 7] = [
        ("mon", "09:00", "17:30"),
        ("tue", "09:00", "17:30"),
        ("wed", "09:00", "17:30"),
        ("thu", "09:00", "17:30"),
        ("fri", "09:00", "17:30"),
        ("sat", "09:00", "17:30"),
        ("sun", "09:00", "17:30"),
    ];

    #[test]
    fn nine_in_berlin_stays_nine_across_the_spring_change() {
        // Clocks go forward at 02:00 on Sunday 29 March 2026: 09:00 is 08:00 UTC on the
        // Saturday (UTC+1) and 07:00 UTC on the Sunday (UTC+2).
        let s = settings("Europe/Berlin", &EVERY_DAY);
        let saturday_evening = s.status(utc("2026-03-28T17:00:00Z"));
        assert!(!saturday_evening.open_now, "17:30 local was 16:30 UTC");
        assert_eq!(
            saturday_evening.next_change_at,
            Some(utc("2026-03-29T07:00:00Z"))
        );
        let saturday_morning = s.status(utc("2026-03-28T08:30:00Z"));
        assert!(saturday_morning.open_now);
        assert_eq!(
            saturday_morning.next_change_at,
            Some(utc("2026-03-28T16:30:00Z"))
        );
        assert!(s.status(utc("2026-03-29T07:00:00Z")).open_now);
        assert!(!s.status(utc("2026-03-29T06:59:00Z")).open_now);
        assert_eq!(
            s.status(utc("2026-03-29T10:00:00Z")).next_change_at,
            Some(utc("2026-03-29T15:30:00Z"))
        );
    }

    #[test]
    fn and_across_the_autumn_change_in_new_york() {
        // Clocks go back at 02:00 on Sunday 1 November 2026: UTC-4, then UTC-5.
        let s = settings("America/New_York", &EVERY_DAY);
        assert_eq!(
            s.status(utc("2026-10-31T22:00:00Z")).next_change_at,
            Some(utc("2026-11-01T14:00:00Z"))
        );
        assert_eq!(
            s.status(utc("2026-10-31T14:00:00Z")).next_change_at,
            Some(utc("2026-10-31T21:30:00Z"))
        );
    }

    #[test]
    fn a_time_the_clocks_skip_opens_when_they_land() {
        let s = settings("Europe/Berlin", &[("sun", "02:30", "04:00")]);
        // 02:30 does not exist on 29 March 2026; 03:00 CEST is 01:00 UTC.
        assert_eq!(
            s.status(utc("2026-03-29T00:00:00Z")).next_change_at,
            Some(utc("2026-03-29T01:00:00Z"))
        );
    }

    #[test]
    fn a_period_past_midnight_closes_the_next_day() {
        let s = settings(
            "UTC",
            &[("fri", "22:00", "06:00"), ("mon", "08:00", "08:00")],
        );
        let saturday_early = s.status(utc("2026-12-05T03:00:00Z"));
        assert!(saturday_early.open_now);
        assert_eq!(
            saturday_early.next_change_at,
            Some(utc("2026-12-05T06:00:00Z"))
        );
        assert!(!s.status(utc("2026-12-04T21:59:00Z")).open_now);
        // Closing when it opens: 24 hours.
        assert_eq!(
            s.status(utc("2026-12-07T12:00:00Z")).next_change_at,
            Some(utc("2026-12-08T08:00:00Z"))
        );
    }

    #[test]
    fn weekends_closed_and_periods_that_touch_merge() {
        let s = settings(
            "UTC",
            &[("fri", "09:00", "24:00"), ("sat", "00:00", "02:00")],
        );
        let friday_night = s.status(utc("2026-12-04T23:00:00Z"));
        assert!(friday_night.open_now);
        assert_eq!(
            friday_night.next_change_at,
            Some(utc("2026-12-05T02:00:00Z")),
            "past midnight, one period"
        );
        let sunday = s.status(utc("2026-12-06T12:00:00Z"));
        assert!(!sunday.open_now);
        assert_eq!(sunday.next_change_at, Some(utc("2026-12-11T09:00:00Z")));
        assert_eq!(
            s.last_opened(utc("2026-12-06T12:00:00Z")),
            Some(utc("2026-12-04T09:00:00Z"))
        );
    }

    #[test]
    fn no_hours_is_always_open_and_an_empty_week_never() {
        let always = SupportSettings {
            enabled: true,
            ..SupportSettings::default()
        };
        let now = utc("2026-12-06T12:00:00Z");
        assert_eq!(
            always.status(now),
            SupportStatus {
                enabled: true,
                open_now: true,
                next_change_at: None
            }
        );
        let never = settings("UTC", &[]);
        assert_eq!(
            never.status(now),
            SupportStatus {
                enabled: true,
                open_now: false,
                next_change_at: None
            }
        );
        assert_eq!(never.last_opened(now), None);
        let off = SupportSettings {
            enabled: false,
            ..always
        };
        assert_eq!(off.status(now), SupportStatus::default());
    }

    #[test]
    fn each_bad_field_is_named() {
        let cases: [(SupportSettings, &str); 6] = [
            (settings("Mars/Olympus", &[]), "hours.time_zone"),
            (
                settings("UTC", &[("monday", "09:00", "10:00")]),
                "hours.weekly[0].day",
            ),
            (
                settings("UTC", &[("mon", "9:00", "10:00")]),
                "hours.weekly[0].open",
            ),
            (
                settings(
                    "UTC",
                    &[("mon", "09:00", "24:00"), ("tue", "10:00", "24:30")],
                ),
                "hours.weekly[1].close",
            ),
            (
                settings("UTC", &[("mon", "24:00", "10:00")]),
                "hours.weekly[0].open",
            ),
            (
                SupportSettings {
                    away_message: Some(AwayMessage {
                        text: " ".into(),
                        ..AwayMessage::default()
                    }),
                    ..Default::default()
                },
                "away_message.text",
            ),
        ];
        for (s, field) in cases {
            match s.checked() {
                Err(Error::Invalid(i)) => assert_eq!(i.field, field),
                other => panic!("{field}: {other:?}"),
            }
        }
        let many = settings("UTC", &vec![("mon", "09:00", "10:00"); OPENINGS_MAX + 1]);
        assert!(many.checked().is_err());
        assert!(settings("UTC", &EVERY_DAY).checked().is_ok());
    }
}
