//! Product limits (SPEC §6). Defaults match Twitter's; every value is configurable.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Characters (Unicode scalar values after NFC) in a direct message.
    pub dm_text: usize,
    /// Maximum members of a group conversation, the creator included.
    pub group_size: usize,
    /// Others a client may name when creating a group through the API.
    pub group_create_min_others: usize,
    pub group_create_max_others: usize,
    /// Characters in a group's name.
    pub group_name: usize,
    pub pinned_conversations: usize,
    pub edits_per_message: u32,
    /// Direct-message sends per user per 24 hours (support accounts are exempt).
    pub dm_sends_per_day: u32,
    /// New conversations with non-followers per 24 hours for accounts younger than
    /// `young_account_days`.
    pub young_account_new_conversations_per_day: u32,
    pub young_account_days: i64,
    /// How long a client's idempotency key returns the original message.
    pub idempotency_hours: i64,
    /// Message requests left unanswered after which the quality filter treats a sender as
    /// likely spam.
    pub spam_unanswered_requests: u32,
    /// Reports against an account after which the quality filter treats it as likely spam.
    pub spam_reports: u32,
    /// Largest upload per media category, in bytes (SPEC §3.6).
    pub media_image_bytes: u64,
    pub media_gif_bytes: u64,
    pub media_video_bytes: u64,
    /// Largest part of a chunked upload, and how many parts one may have.
    pub media_part_bytes: u64,
    pub media_parts: u32,
    /// Images wider or taller than this many pixels are refused before decoding.
    pub media_image_side: u32,
    /// Memory one image (every frame of a GIF) may take when decoded, in bytes: what stops
    /// a small file that decompresses into gigabytes.
    pub media_decode_bytes: u64,
    /// Hours an upload waits to be attached before it and its bytes are removed.
    pub media_expiry_hours: i64,
    /// Chunked uploads one account may have in progress at once, and the bytes they may
    /// declare in all: each holds staged parts until completed or expired.
    pub media_uploads_in_progress: u64,
    pub media_upload_bytes_in_progress: u64,
    /// Real-time streams (WebSocket or SSE) one account may hold open on one node: each is
    /// a connection and a file handle.
    pub streams_per_user: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            dm_text: 10_000,
            group_size: 256,
            group_create_min_others: 2,
            group_create_max_others: 49,
            group_name: 50,
            pinned_conversations: 6,
            edits_per_message: 5,
            dm_sends_per_day: 1_000,
            young_account_new_conversations_per_day: 50,
            young_account_days: 7,
            idempotency_hours: 24,
            spam_unanswered_requests: 20,
            spam_reports: 3,
            media_image_bytes: 5 * MB,
            media_gif_bytes: 15 * MB,
            media_video_bytes: 512 * MB,
            media_part_bytes: 5 * MB,
            media_parts: 1_000,
            media_image_side: 8_192,
            media_decode_bytes: 256 * MIB,
            media_expiry_hours: 24,
            media_uploads_in_progress: 4,
            media_upload_bytes_in_progress: 1024 * 1024 * 1024,
            streams_per_user: 20,
        }
    }
}

/// Media caps are in decimal megabytes, as Twitter states them.
const MB: u64 = 1_000_000;
const MIB: u64 = 1 << 20;

/// Fixed profile limits (SPEC §3.1); these follow Twitter and are not configurable.
pub const SCREEN_NAME_MAX: usize = 15;
pub const NAME_MAX: usize = 50;
pub const DESCRIPTION_MAX: usize = 160;
pub const PASSWORD_MIN: usize = 8;
pub const PASSWORD_MAX: usize = 1024;
pub const REPORT_REASON_MAX: usize = 500;
/// Characters in a personal access token's name.
pub const TOKEN_NAME_MAX: usize = 100;
pub const PAGE_LIMIT_MAX: usize = 100;
/// Characters in a search query.
pub const SEARCH_QUERY_MAX: usize = 500;
