//! OAuth 1.0a nonces (issue 17): each is claimed once until it expires, per app, and
//! forgetting the expired ones frees them; the same on both backends (SQLite in memory,
//! PostgreSQL in a table).

use chrono::{Duration, Utc};

use crate::harness::{Harness, Must, conformance};

conformance!(a_nonce_is_claimed_once_per_app_until_forgotten);

async fn a_nonce_is_claimed_once_per_app_until_forgotten(h: &Harness) {
    let until = Utc::now() + Duration::minutes(10);
    let store = &h.store;
    assert!(store.claim_nonce("app", "n1", until).await.must("claim"));
    assert!(
        !store.claim_nonce("app", "n1", until).await.must("replay"),
        "a replay"
    );
    assert!(
        store.claim_nonce("other", "n1", until).await.must("claim"),
        "per app"
    );
    assert!(store.claim_nonce("app", "n2", until).await.must("claim"));
    assert_eq!(
        store.forget_nonces(Utc::now()).await.must("forget"),
        0,
        "none expired"
    );
    let after = until + Duration::seconds(1);
    assert_eq!(store.forget_nonces(after).await.must("forget"), 3);
    let later = after + Duration::minutes(10);
    assert!(
        store
            .claim_nonce("app", "n1", later)
            .await
            .must("claim again")
    );
}
