//! DM cards (issue 16, item 4; SPEC §4.5): what a card may hold, and what it counts.

use serde_json::{Value, json};

use crate::common::{TestServer, s};

crate::on_every_backend!(
    a_cards_buttons_and_media_are_checked,
    a_card_counts_impressions_clicks_and_conversations,
);

async fn shared_photo(server: &TestServer, token: &str, shared: bool) -> String {
    let (status, photo) = server
        .upload(
            token,
            if shared { &[("shared", "true")] } else { &[] },
            include_bytes!("../fixtures/gps.jpg").to_vec(),
            "image/jpeg",
        )
        .await;
    assert_eq!(status, 201, "{photo}");
    s(&photo["id"])
}

async fn welcome(server: &TestServer, token: &str, name: &str) -> String {
    let (status, made) = server
        .call(
            "POST",
            "/api/v1/welcome_messages",
            Some(token),
            Some(json!({"name": name, "message_data": {"text": format!("{name}: how can we help?")}})),
        )
        .await;
    assert_eq!(status, 201, "{made}");
    s(&made["id"])
}

async fn create(server: &TestServer, token: &str, body: Value) -> (u16, Value) {
    server
        .call("POST", "/api/v1/dm_cards", Some(token), Some(body))
        .await
}

async fn a_cards_buttons_and_media_are_checked() {
    let server = TestServer::start().await;
    let (_, brand) = server.user("patron").await;
    let (_, rival) = server.user("rival").await;
    server.open_to_everyone(&brand).await;
    server.open_to_everyone(&rival).await;
    let media = shared_photo(&server, &brand, true).await;
    let unshared = shared_photo(&server, &brand, false).await;
    let mine = welcome(&server, &brand, "Cocktails").await;
    let theirs = welcome(&server, &rival, "Theirs").await;
    let card = |buttons: Value| json!({"name": "Summer", "media_id": media, "headline": "Find your cocktail", "buttons": buttons});
    let button = |label: &str, w: &str| json!({"label": label, "welcome_message_id": w});
    let cases: [(Value, u16, &str); 6] = [
        (card(json!([])), 400, "buttons"),
        (card(json!(vec![button("A", &mine); 5])), 400, "buttons"),
        (
            card(json!([button(&"x".repeat(25), &mine)])),
            400,
            "buttons[0].label",
        ),
        (
            card(json!([button("Mine", &mine), button("Theirs", &theirs)])),
            404,
            "buttons[1].welcome_message_id",
        ),
        (
            json!({"name": "Summer", "media_id": unshared, "headline": "Hi", "buttons": [button("A", &mine)]}),
            409,
            "media_id",
        ),
        (
            json!({"name": "Summer", "media_id": media, "headline": "h".repeat(71), "buttons": [button("A", &mine)]}),
            400,
            "headline",
        ),
    ];
    for (body, status, field) in cases {
        let (got, refused) = create(&server, &brand, body.clone()).await;
        assert_eq!(
            (got, &refused["error"]["field"]),
            (status, &json!(field)),
            "{body}: {refused}"
        );
    }
    let (status, made) = create(&server, &brand, card(json!(vec![button("Pick", &mine); 4]))).await;
    assert_eq!(status, 201, "four buttons is the most: {made}");
    assert_eq!(
        made["buttons"][3]["url"],
        json!(format!("/l/c{}.3", s(&made["id"])))
    );
    assert_eq!(made["stats"]["clicks"], json!([0, 0, 0, 0]));
    // Only its owner sees it by id, and only its owner's posts carry it.
    let path = format!("/api/v1/dm_cards/{}", s(&made["id"]));
    assert_eq!(server.call("GET", &path, Some(&rival), None).await.0, 404);
    assert_eq!(
        server.call("DELETE", &path, Some(&rival), None).await.0,
        404,
        "nor deletes it"
    );
    for (body, field) in [
        (
            json!({"name": " ", "media_id": media, "headline": "Hi", "buttons": [button("A", &mine)]}),
            "name",
        ),
        (
            json!({"name": "S", "media_id": media, "headline": "Hi", "buttons": [button(" ", &mine)]}),
            "buttons[0].label",
        ),
    ] {
        let (got, refused) = create(&server, &brand, body).await;
        assert_eq!(
            (got, &refused["error"]["field"]),
            (400, &json!(field)),
            "{refused}"
        );
    }
    let (status, refused) = server
        .call(
            "POST",
            "/api/v1/posts",
            Some(&rival),
            Some(json!({"text": "mine now", "card_id": s(&made["id"])})),
        )
        .await;
    assert_eq!(
        (status, &refused["error"]["field"]),
        (404, &json!("card_id")),
        "{refused}"
    );
}

async fn a_card_counts_impressions_clicks_and_conversations() {
    let server = TestServer::start().await;
    let (brand_id, brand) = server.user("patron").await;
    server.open_to_everyone(&brand).await;
    let media = shared_photo(&server, &brand, true).await;
    let (margarita, paloma) = (
        welcome(&server, &brand, "Margarita").await,
        welcome(&server, &brand, "Paloma").await,
    );
    let (status, card) = create(
        &server,
        &brand,
        json!({"name": "Summer", "media_id": media, "headline": "Find your cocktail",
               "buttons": [{"label": "Margarita", "welcome_message_id": margarita},
                           {"label": "Paloma", "welcome_message_id": paloma}]}),
    )
    .await;
    assert_eq!(status, 201, "{card}");
    let card_id = s(&card["id"]);
    let (_, carol) = server.user("carol").await;
    let mut carol_ws = server.ws(&carol, None).await;
    let (status, post) = server
        .call(
            "POST",
            "/api/v1/posts",
            Some(&brand),
            Some(json!({"text": "Which one are you, @carol?", "card_id": card_id})),
        )
        .await;
    assert_eq!(status, 201, "{post}");
    assert_eq!(post["card"]["headline"], "Find your cocktail");
    assert!(post["card"]["stats"].is_object(), "the owner sees counts");
    // Mentioned, Carol sees the card as anyone does: its counts are the owner's.
    let mentioned = carol_ws.next_of("post.mentioned").await;
    assert_eq!(mentioned["data"]["card"]["id"], json!(card_id));
    assert!(
        mentioned["data"]["card"].get("stats").is_none(),
        "{mentioned}"
    );
    let (_, dave) = server.user("dave").await;
    let post_path = format!("/api/v1/posts/{}", s(&post["id"]));
    for _ in 0..2 {
        let (status, seen) = server.call("GET", &post_path, Some(&carol), None).await;
        assert_eq!(status, 200);
        assert!(seen["card"].get("stats").is_none(), "stats are the owner's");
    }
    let (_, listed) = server
        .call(
            "GET",
            &format!("/api/v1/users/{brand_id}/posts"),
            Some(&dave),
            None,
        )
        .await;
    assert_eq!(listed["posts"][0]["card"]["id"], json!(card_id));
    let (status, _, _) = server
        .raw(
            "GET",
            &s(&listed["posts"][0]["card"]["media"]["url"]),
            Some(&dave),
            None,
            &[],
        )
        .await;
    assert_eq!(status, 200, "a card's photo is public");
    server.call("GET", &post_path, Some(&brand), None).await;

    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_default();
    let paloma_link = format!("{}{}", server.base, s(&card["buttons"][1]["url"]));
    let r = no_redirects
        .get(&paloma_link)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status().as_u16(), 302);
    assert_eq!(
        r.headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default(),
        format!(
            "/messages/compose?recipient_id={brand_id}&welcome_message_id={paloma}&card_id={card_id}"
        )
    );
    let missing = format!("{}/l/c{card_id}.7", server.base);
    let r = no_redirects
        .get(&missing)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status().as_u16(), 404, "no such button");

    let started = json!({"text": "Paloma, please!",
                         "initiated_via": {"welcome_message_id": paloma, "card_id": card_id}});
    for _ in 0..2 {
        let (status, sent) = server
            .call(
                "POST",
                &format!("/api/v1/messages/with/{brand_id}"),
                Some(&carol),
                Some(started.clone()),
            )
            .await;
        assert_eq!(status, 201, "{sent}");
    }
    let (rival_id, _) = server.user("rival").await;
    let (status, refused) = server
        .call(
            "POST",
            &format!("/api/v1/messages/with/{rival_id}"),
            Some(&dave),
            Some(json!({"text": "hi", "initiated_via": {"card_id": card_id}})),
        )
        .await;
    assert_eq!(
        (status, &refused["error"]["field"]),
        (404, &json!("initiated_via.card_id")),
        "{refused}"
    );

    let (_, stats) = server
        .call(
            "GET",
            &format!("/api/v1/dm_cards/{card_id}"),
            Some(&brand),
            None,
        )
        .await;
    assert_eq!(
        stats["stats"],
        json!({"impressions": 2, "conversations": 1, "clicks": [0, 1]}),
        "two people saw it (the owner is not counted, a second look the same day is not), \
         one clicked Paloma, one conversation however many messages"
    );

    let (status, _) = server
        .call(
            "DELETE",
            &format!("/api/v1/dm_cards/{card_id}"),
            Some(&brand),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (_, after) = server.call("GET", &post_path, Some(&carol), None).await;
    assert!(
        after.get("card").is_none(),
        "a deleted card shows no more: {after}"
    );
}
