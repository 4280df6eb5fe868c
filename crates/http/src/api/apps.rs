//! Developer apps and connected apps: `POST/GET /api/v1/apps`, `DELETE /api/v1/apps/{id}`,
//! `POST /api/v1/apps/{id}/keys` (rotation), `POST /api/v1/apps/{id}/access_tokens`, and
//! `GET/DELETE /api/v1/me/authorized_apps[/{id}]`.

use axum::extract::State;
use axum::http::StatusCode;
use postern_core::ObjectId;
use postern_service::apps::{App, AppSecrets, AuthorizedApp, NewApp};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::AppState;
use crate::api::webhooks::{DeliveryList, DeliveryParams};
use crate::auth::Auth;
use crate::error::{ApiResult, Json, Path, Query};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(delete))
        .routes(routes!(rotate_keys))
        .routes(routes!(access_tokens))
        .routes(routes!(authorized))
        .routes(routes!(revoke))
        .routes(routes!(webhooks))
        .routes(routes!(webhook_deliveries))
}

fn app_id(raw: &str) -> Result<ObjectId, postern_core::Error> {
    super::id("id", raw)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApp {
    /// Up to 32 characters, one line: what people see when they authorize it.
    name: String,
    /// Where OAuth sends people back after they authorize (up to 10; an app's own scheme
    /// is allowed). Without one, only the PIN (`oob`) flow works.
    #[serde(default)]
    callback_urls: Vec<String>,
    website_url: Option<String>,
}

/// An app with its secrets, shown this once (at creation and after rotation).
#[derive(Serialize, ToSchema)]
pub struct AppWithSecrets {
    app: App,
    consumer_key: String,
    consumer_secret: String,
    client_id: String,
    client_secret: String,
    bearer_token: String,
}

impl AppWithSecrets {
    fn new(app: App, s: AppSecrets) -> Self {
        AppWithSecrets {
            app,
            consumer_key: s.consumer_key,
            consumer_secret: s.consumer_secret,
            client_id: s.client_id,
            client_secret: s.client_secret,
            bearer_token: s.bearer_token,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct AppList {
    apps: Vec<App>,
}

/// The owner's own credentials for their app, as a developer portal gives them.
#[derive(Serialize, ToSchema)]
pub struct AccessTokens {
    /// OAuth 1.0a `oauth_token`.
    access_token: String,
    access_token_secret: String,
    /// OAuth 2.0 bearer token (does not expire).
    oauth2_access_token: String,
    #[schema(value_type = Vec<String>)]
    scopes: postern_core::auth::Scopes,
}

/// One of an app's Twitter-compatible webhooks (Account Activity, v1.1 or v2), as its
/// owner sees it.
#[derive(Serialize, ToSchema)]
pub struct AppWebhook {
    id: String,
    url: String,
    /// Whether its last CRC was answered: only a valid webhook is delivered to.
    valid: bool,
    created_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Serialize, ToSchema)]
pub struct AppWebhookList {
    webhooks: Vec<AppWebhook>,
}

#[derive(Serialize, ToSchema)]
pub struct AuthorizedAppList {
    apps: Vec<AuthorizedApp>,
}

/// `POST /api/v1/apps`: a new app, with its keys and secrets (shown only now).
#[utoipa::path(post, path = "/apps", tag = "apps", request_body = CreateApp,
    responses((status = 201, body = AppWithSecrets)))]
async fn create(
    State(s): State<AppState>,
    Auth(c): Auth,
    Json(r): Json<CreateApp>,
) -> ApiResult<(StatusCode, Json<AppWithSecrets>)> {
    let new = NewApp {
        name: r.name,
        callback_urls: r.callback_urls,
        website_url: r.website_url,
    };
    let (app, secrets) = s.services.create_app(c.user_id, new).await?;
    Ok((StatusCode::CREATED, Json(AppWithSecrets::new(app, secrets))))
}

/// `GET /api/v1/apps`: your apps, oldest first, without secrets.
#[utoipa::path(get, path = "/apps", tag = "apps", responses((status = 200, body = AppList)))]
async fn list(State(s): State<AppState>, Auth(c): Auth) -> ApiResult<Json<AppList>> {
    Ok(Json(AppList {
        apps: s.services.apps(c.user_id).await?,
    }))
}

/// `DELETE /api/v1/apps/{id}`: the app, and every authorization anyone gave it.
#[utoipa::path(delete, path = "/apps/{id}", tag = "apps", responses((status = 204)))]
async fn delete(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    s.services.delete_app(c.user_id, app_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/apps/{id}/keys`: new consumer key and secret, client secret and bearer
/// token; the old ones stop working. Authorizations stay.
#[utoipa::path(post, path = "/apps/{id}/keys", tag = "apps",
    responses((status = 200, body = AppWithSecrets)))]
async fn rotate_keys(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<AppWithSecrets>> {
    let (app, secrets) = s.services.rotate_app_keys(c.user_id, app_id(&id)?).await?;
    Ok(Json(AppWithSecrets::new(app, secrets)))
}

/// `POST /api/v1/apps/{id}/access_tokens`: your own credentials for your app, every scope.
#[utoipa::path(post, path = "/apps/{id}/access_tokens", tag = "apps",
    responses((status = 201, body = AccessTokens)))]
async fn access_tokens(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
) -> ApiResult<(StatusCode, Json<AccessTokens>)> {
    let t = s
        .services
        .owner_credentials(c.user_id, app_id(&id)?)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(AccessTokens {
            access_token: t.access_token,
            access_token_secret: t.access_token_secret,
            oauth2_access_token: t.oauth2_access_token,
            scopes: t.scopes,
        }),
    ))
}

/// `GET /api/v1/me/authorized_apps`: the apps you have authorized and what each may do.
#[utoipa::path(get, path = "/me/authorized_apps", tag = "apps",
    responses((status = 200, body = AuthorizedAppList)))]
async fn authorized(
    State(s): State<AppState>,
    Auth(c): Auth,
) -> ApiResult<Json<AuthorizedAppList>> {
    Ok(Json(AuthorizedAppList {
        apps: s.services.authorized_apps(c.user_id).await?,
    }))
}

/// `DELETE /api/v1/me/authorized_apps/{id}`: every credential you gave the app stops
/// working.
#[utoipa::path(delete, path = "/me/authorized_apps/{id}", tag = "apps", responses((status = 204)))]
async fn revoke(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    s.services
        .revoke_authorized_app(c.user_id, app_id(&id)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/v1/apps/{id}/webhooks`: the app's Twitter-compatible webhooks, oldest first
/// (they are made through the Account Activity API and `/2/webhooks`).
#[utoipa::path(get, path = "/apps/{id}/webhooks", tag = "apps",
    responses((status = 200, body = AppWebhookList)))]
async fn webhooks(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<AppWebhookList>> {
    let webhooks = s
        .services
        .owned_app_webhooks(c.user_id, app_id(&id)?)
        .await?
        .into_iter()
        .map(|w| AppWebhook {
            id: w.id.to_string(),
            url: w.url,
            valid: w.valid,
            created_at: w.created_at,
        })
        .collect();
    Ok(Json(AppWebhookList { webhooks }))
}

/// `GET /api/v1/apps/{id}/webhooks/{webhook_id}/deliveries`: the webhook's log, the latest
/// POSTs first (an Account Activity POST may carry several events: `events`).
#[utoipa::path(get, path = "/apps/{id}/webhooks/{webhook_id}/deliveries", tag = "apps",
    params(DeliveryParams), responses((status = 200, body = DeliveryList)))]
async fn webhook_deliveries(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path((id, webhook)): Path<(String, String)>,
    Query(p): Query<DeliveryParams>,
) -> ApiResult<Json<DeliveryList>> {
    let limit = super::limit(p.limit, 20)?;
    let deliveries = s
        .services
        .app_webhook_deliveries(
            c.user_id,
            app_id(&id)?,
            super::id("webhook_id", &webhook)?,
            limit,
        )
        .await?;
    Ok(Json(DeliveryList { deliveries }))
}
