//! Feedback surveys (issue 16, item 5; SPEC §4.7): sending (once a day per person), answering
//! once (on the card or as a plain number), and the results' arithmetic.

use serde_json::{Value, json};

use crate::common::{TestServer, s};

crate::on_every_backend!(
    a_survey_goes_once_a_day_and_is_answered_once,
    a_plain_number_in_reply_answers_the_open_survey,
    results_add_up_by_hand,
    every_survey_refusal_names_what_it_refuses,
);

const PRIVACY: &str = "https://acme.example/privacy";

/// A support account and a customer who follows it (so it may write to them).
async fn brand_and(server: &TestServer, names: &[&str]) -> (String, String, Vec<(String, String)>) {
    let (brand_id, brand) = server.user("acme").await;
    let (status, _) = server
        .call(
            "PUT",
            "/api/v1/me/support",
            Some(&brand),
            Some(json!({"enabled": true})),
        )
        .await;
    assert_eq!(status, 200);
    let people = followers(server, &brand_id, names).await;
    (brand_id, brand, people)
}

/// New people who follow the brand, so it may write to them: (id, token) each.
async fn followers(server: &TestServer, brand_id: &str, names: &[&str]) -> Vec<(String, String)> {
    let mut people = Vec::new();
    for name in names {
        let (id, token) = server.user(name).await;
        server.follow(&token, brand_id).await;
        people.push((id, token));
    }
    people
}

async fn ask(server: &TestServer, brand: &str, body: Value) -> (u16, Value) {
    server
        .call("POST", "/api/v1/feedback_requests", Some(brand), Some(body))
        .await
}

async fn answer(server: &TestServer, token: &str, id: &str, body: Value) -> (u16, Value) {
    server
        .call(
            "POST",
            &format!("/api/v1/feedback_requests/{id}/response"),
            Some(token),
            Some(body),
        )
        .await
}

fn csat(to: &str) -> Value {
    json!({"type": "csat", "recipient_id": to, "display": "stars", "privacy_url": PRIVACY})
}

fn nps(to: &str) -> Value {
    json!({"type": "nps", "recipient_id": to, "display": "numbers", "privacy_url": PRIVACY})
}

async fn a_survey_goes_once_a_day_and_is_answered_once() {
    let server = TestServer::start().await;
    let (_, brand, people) = brand_and(&server, &["carol"]).await;
    let (carol_id, carol) = &people[0];
    for (body, field) in [
        (
            json!({"type": "csat", "recipient_id": carol_id, "display": "stars", "privacy_url": "javascript:alert(1)"}),
            "privacy_url",
        ),
        (
            json!({"type": "csat", "recipient_id": carol_id, "display": "stars", "privacy_url": PRIVACY,
                   "question": "q".repeat(281)}),
            "question",
        ),
    ] {
        let (status, refused) = ask(&server, &brand, body).await;
        assert_eq!(
            (status, &refused["error"]["field"]),
            (400, &json!(field)),
            "{refused}"
        );
    }
    let mut body = csat(carol_id);
    body["external_id"] = json!("TICKET-1");
    let (status, made) = ask(&server, &brand, body.clone()).await;
    assert_eq!(status, 201, "{made}");
    assert_eq!(made["type"], "csat");
    assert_eq!(made["external_id"], "TICKET-1");
    assert!(made.get("response").is_none());
    let (status, headers, again) = server
        .call_full(
            "POST",
            "/api/v1/feedback_requests",
            Some(&brand),
            Some(body),
            &[],
        )
        .await;
    assert_eq!(
        (status, &again["error"]["code"]),
        (429, &json!("feedback_too_soon")),
        "{again}"
    );
    assert!(
        s(&again["error"]["message"]).contains("can be sent from"),
        "says when: {again}"
    );
    let wait: u64 = headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or_default();
    assert!((86_000..=86_400).contains(&wait), "about a day: {wait}");

    // Carol sees the survey in the conversation, as the message that asks it.
    let (_, history) = server
        .call(
            "GET",
            &format!(
                "/api/v1/conversations/{}/events",
                s(&made["conversation_id"])
            ),
            Some(carol),
            None,
        )
        .await;
    let survey = &history["events"][0]["feedback_request"];
    assert_eq!(survey["id"], made["id"], "{history}");
    assert_eq!(survey["display"], "stars");
    assert_eq!(survey["privacy_url"], PRIVACY);

    let id = s(&made["id"]);
    assert_eq!(
        answer(&server, &brand, &id, json!({"score": 5})).await.0,
        404,
        "only the person asked answers"
    );
    let (status, refused) = answer(&server, carol, &id, json!({"score": 6})).await;
    assert_eq!(
        (status, &refused["error"]["field"]),
        (400, &json!("score")),
        "CSAT is 1 to 5: {refused}"
    );
    let (status, answered) = answer(
        &server,
        carol,
        &id,
        // JSON has one kind of number: 4.0 is the whole number 4.
        json!({"score": 4.0, "text": "Quick and kind"}),
    )
    .await;
    assert_eq!(status, 200, "{answered}");
    assert_eq!(answered["response"]["score"], 4);
    assert_eq!(answered["response"]["text"], "Quick and kind");
    let (status, refused) = answer(&server, carol, &id, json!({"score": 1})).await;
    assert_eq!(status, 409, "answered once, never changed: {refused}");
    let (_, shown) = server
        .call(
            "GET",
            &format!("/api/v1/feedback_requests/{id}"),
            Some(&brand),
            None,
        )
        .await;
    assert_eq!(shown["response"]["score"], 4);
    let (_, history) = server
        .call(
            "GET",
            &format!(
                "/api/v1/conversations/{}/events",
                s(&made["conversation_id"])
            ),
            Some(carol),
            None,
        )
        .await;
    assert_eq!(history["events"][0]["feedback_request"]["score"], 4);
}

async fn a_plain_number_in_reply_answers_the_open_survey() {
    let server = TestServer::start().await;
    let (brand_id, brand, people) = brand_and(&server, &["dave", "erin"]).await;
    let ((dave_id, dave), (erin_id, erin)) = (&people[0], &people[1]);
    let (_, for_dave) = ask(&server, &brand, nps(dave_id)).await;
    let (_, for_erin) = ask(&server, &brand, nps(erin_id)).await;
    server.dm(dave, &brand_id, "9").await;
    server.dm(dave, &brand_id, "2").await;
    server.dm(erin, &brand_id, "11").await;
    server.dm(erin, &brand_id, "thanks, 7 maybe").await;
    let score = |token: String, id: Value| {
        let server = &server;
        async move {
            let (_, r) = server
                .call(
                    "GET",
                    &format!("/api/v1/feedback_requests/{}", s(&id)),
                    Some(&token),
                    None,
                )
                .await;
            r["response"]["score"].clone()
        }
    };
    assert_eq!(
        score(brand.clone(), for_dave["id"].clone()).await,
        9,
        "the first number answers, the second changes nothing"
    );
    assert_eq!(
        score(brand.clone(), for_erin["id"].clone()).await,
        Value::Null,
        "out of range, or not just a number: no answer"
    );
    server.dm(erin, &brand_id, "7").await;
    assert_eq!(score(brand.clone(), for_erin["id"].clone()).await, 7);
}

async fn results_add_up_by_hand() {
    let server = TestServer::start().await;
    let names = ["p1", "p2", "p3", "p4", "p5"];
    let (brand_id, brand, people) = brand_and(&server, &names).await;
    let (_, maria) = server
        .call(
            "POST",
            "/api/v1/custom_profiles",
            Some(&brand),
            Some(json!({"name": "Maria"})),
        )
        .await;
    // CSAT: 5, 4, 3, 1 and one unanswered; Maria sent the first two.
    let csat_scores = [Some(5), Some(4), Some(3), Some(1), None];
    for (i, ((id, token), score)) in people.iter().zip(csat_scores).enumerate() {
        let mut body = csat(id);
        if i < 2 {
            body["custom_profile_id"] = maria["id"].clone();
        }
        let (status, made) = ask(&server, &brand, body).await;
        assert_eq!(status, 201, "{made}");
        if let Some(score) = score {
            let (status, _) =
                answer(&server, token, &s(&made["id"]), json!({"score": score})).await;
            assert_eq!(status, 200);
        }
    }
    let (status, results) = server
        .call(
            "GET",
            "/api/v1/feedback/results?type=csat",
            Some(&brand),
            None,
        )
        .await;
    assert_eq!(status, 200, "{results}");
    assert_eq!(results["requests"], 5);
    assert_eq!(results["responses"], 4);
    assert_eq!(results["response_rate"], 80.0);
    assert_eq!(
        results["distribution"],
        json!({"1": 1, "3": 1, "4": 1, "5": 1})
    );
    assert_eq!(results["csat"], 50.0, "two of four answers are 4 or 5");
    assert!(results.get("nps").is_none());
    let maria_id = s(&maria["id"]);
    assert_eq!(
        results["by_agent"][&maria_id],
        json!({"requests": 2, "responses": 2, "score": 100.0})
    );
    assert_eq!(
        results["by_agent"]["account"],
        json!({"requests": 3, "responses": 2, "score": 0.0})
    );
    let (_, only_maria) = server
        .call(
            "GET",
            &format!("/api/v1/feedback/results?type=csat&agent={maria_id}"),
            Some(&brand),
            None,
        )
        .await;
    assert_eq!(only_maria["requests"], 2);
    let (_, tomorrow) = server
        .call(
            "GET",
            "/api/v1/feedback/results?type=csat&from=2999-01-01",
            Some(&brand),
            None,
        )
        .await;
    assert_eq!(
        (&tomorrow["requests"], &tomorrow["response_rate"]),
        (&json!(0), &Value::Null)
    );

    // NPS: 10 and 9 promote, 8 is passive, 6 and 0 detract: 40 % less 40 %.
    let others = followers(&server, &brand_id, &["q1", "q2", "q3", "q4", "q5"]).await;
    for ((id, token), score) in others.iter().zip([10, 9, 8, 6, 0]) {
        let (_, made) = ask(&server, &brand, nps(id)).await;
        answer(&server, token, &s(&made["id"]), json!({"score": score})).await;
    }
    let (_, results) = server
        .call(
            "GET",
            "/api/v1/feedback/results?type=nps",
            Some(&brand),
            None,
        )
        .await;
    assert_eq!(
        (
            &results["requests"],
            &results["nps"],
            &results["response_rate"]
        ),
        (&json!(5), &json!(0.0), &json!(100.0)),
        "{results}"
    );
    let (status, refused) = server
        .call("GET", "/api/v1/feedback/results", Some(&brand), None)
        .await;
    assert_eq!(status, 400, "the type is needed: {refused}");
    let (status, refused) = server
        .call(
            "GET",
            "/api/v1/feedback/results?type=csat&from=yesterday",
            Some(&brand),
            None,
        )
        .await;
    assert_eq!(
        (status, &refused["error"]["field"]),
        (400, &json!("from")),
        "{refused}"
    );
}

async fn every_survey_refusal_names_what_it_refuses() {
    let server = TestServer::start().await;
    let (_, brand, people) = brand_and(&server, &["carol"]).await;
    let (carol_id, carol) = &people[0];
    let (stranger_id, _) = server.user("stranger").await;
    let mut long_ref = csat(carol_id);
    long_ref["external_id"] = json!("x".repeat(257));
    let cases: [(Value, u16, &str); 3] = [
        (long_ref, 400, "external_id"),
        (csat("12345"), 404, ""),
        (csat(&stranger_id), 403, ""),
    ];
    for (body, status, field) in cases {
        let (got, refused) = ask(&server, &brand, body.clone()).await;
        assert_eq!(got, status, "{body}: {refused}");
        if !field.is_empty() {
            assert_eq!(refused["error"]["field"], field, "{refused}");
        }
    }
    let (status, refused) = ask(&server, &brand, csat(&stranger_id)).await;
    assert_eq!(
        (status, &refused["error"]["code"]),
        (403, &json!("recipient_not_accepting")),
        "admission applies, and a refused survey does not count against the day: {refused}"
    );
    let (_, made) = ask(&server, &brand, csat(carol_id)).await;
    let (status, refused) = answer(
        &server,
        carol,
        &s(&made["id"]),
        json!({"score": 5, "text": "x".repeat(1_001)}),
    )
    .await;
    assert_eq!(
        (status, &refused["error"]["field"]),
        (400, &json!("text")),
        "{refused}"
    );
    for (query, field) in [
        ("type=csat&agent=nope", "agent"),
        ("type=csat&to=later", "to"),
    ] {
        let (status, refused) = server
            .call(
                "GET",
                &format!("/api/v1/feedback/results?{query}"),
                Some(&brand),
                None,
            )
            .await;
        assert_eq!(
            (status, &refused["error"]["field"]),
            (400, &json!(field)),
            "{refused}"
        );
    }
    let (status, refused) = server
        .call("GET", "/api/v1/insights?to=later", Some(&brand), None)
        .await;
    assert_eq!(
        (status, &refused["error"]["field"]),
        (400, &json!("to")),
        "{refused}"
    );
}
