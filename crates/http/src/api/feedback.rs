//! Feedback surveys: `/api/v1/feedback_requests[/{id}[/response]]` and the results at
//! `/api/v1/feedback/results`; business insights at `/api/v1/insights`.

use axum::extract::State;
use axum::http::StatusCode;
use postern_core::feedback::{Display, FeedbackRequest, Results, SurveyType};
use postern_core::insights::Insights;
use postern_core::{ObjectId, UserId};
use postern_service::feedback::{ResultsQuery, SurveyDraft};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiResult, Json, Path, Query};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create))
        .routes(routes!(show))
        .routes(routes!(respond))
        .routes(routes!(results))
        .routes(routes!(insights))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct InsightsParams {
    /// From this day (`YYYY-MM-DD`, UTC) or instant (RFC 3339); 30 days before `to` if left out.
    from: Option<String>,
    /// Up to the end of this day, or before this instant; now if left out.
    to: Option<String>,
}

/// `GET /api/v1/insights`: what your DMs did over a period.
#[utoipa::path(get, path = "/insights", tag = "business", params(InsightsParams),
    responses((status = 200, body = Insights)))]
async fn insights(
    State(s): State<AppState>,
    Auth(c): Auth,
    Query(p): Query<InsightsParams>,
) -> ApiResult<Json<Insights>> {
    Ok(Json(
        s.services
            .insights(c.user_id, p.from.as_deref(), p.to.as_deref())
            .await?,
    ))
}

fn request_id(raw: &str) -> Result<ObjectId, postern_core::Error> {
    super::id("id", raw)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateFeedbackRequest {
    #[serde(rename = "type")]
    kind: SurveyType,
    /// The person asked, in your one-to-one conversation with them.
    recipient_id: UserId,
    /// Up to 280 characters; a question that fits the type otherwise.
    question: Option<String>,
    display: Display,
    /// Your privacy policy (http or https).
    privacy_url: String,
    /// Your own reference (a ticket), up to 256 characters.
    external_id: Option<String>,
    /// Sent as one of your custom profiles: the agent results are grouped by.
    custom_profile_id: Option<ObjectId>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeedbackAnswer {
    /// CSAT 1–5, NPS 0–10.
    #[serde(deserialize_with = "super::whole_number")]
    score: u64,
    /// Words, up to 1,000 characters.
    text: Option<String>,
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ResultsParams {
    /// `csat` or `nps`.
    #[serde(rename = "type")]
    kind: SurveyType,
    /// From this day (`YYYY-MM-DD`, UTC) or instant (RFC 3339).
    from: Option<String>,
    /// Up to the end of this day, or before this instant.
    to: Option<String>,
    /// Only surveys sent as this custom profile.
    agent: Option<String>,
    external_id: Option<String>,
}

/// `POST /api/v1/feedback_requests`: sends the survey as a message (admission applies), at
/// most one per person a day (429 `feedback_too_soon`, saying when).
#[utoipa::path(post, path = "/feedback_requests", tag = "business", request_body = CreateFeedbackRequest,
    responses((status = 201, body = FeedbackRequest), (status = 429, body = crate::error::ErrorBody)))]
async fn create(
    State(s): State<AppState>,
    Auth(c): Auth,
    Json(r): Json<CreateFeedbackRequest>,
) -> ApiResult<(StatusCode, Json<FeedbackRequest>)> {
    let actor = c.actor().speaking_as(r.custom_profile_id);
    let draft = SurveyDraft {
        kind: r.kind,
        recipient: r.recipient_id,
        question: r.question,
        display: r.display,
        privacy_url: r.privacy_url,
        external_id: r.external_id,
        intro: None,
        display_name: None,
    };
    let made = s.services.send_feedback_request(&actor, draft).await?;
    Ok((StatusCode::CREATED, Json(made)))
}

/// `GET /api/v1/feedback_requests/{id}`: to its sender or the person asked.
#[utoipa::path(get, path = "/feedback_requests/{id}", tag = "business", responses((status = 200, body = FeedbackRequest)))]
async fn show(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<FeedbackRequest>> {
    Ok(Json(
        s.services
            .feedback_request(c.user_id, request_id(&id)?)
            .await?,
    ))
}

/// `POST /api/v1/feedback_requests/{id}/response`: the person asked answers, once (409 after).
#[utoipa::path(post, path = "/feedback_requests/{id}/response", tag = "business", request_body = FeedbackAnswer,
    responses((status = 200, body = FeedbackRequest), (status = 409, body = crate::error::ErrorBody)))]
async fn respond(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
    Json(r): Json<FeedbackAnswer>,
) -> ApiResult<Json<FeedbackRequest>> {
    let id = request_id(&id)?;
    Ok(Json(
        s.services
            .answer_feedback(
                c.user_id,
                id,
                i64::try_from(r.score).unwrap_or(i64::MAX),
                r.text.as_deref(),
            )
            .await?,
    ))
}

/// `GET /api/v1/feedback/results?type=`: what your surveys say.
#[utoipa::path(get, path = "/feedback/results", tag = "business", params(ResultsParams),
    responses((status = 200, body = Results)))]
async fn results(
    State(s): State<AppState>,
    Auth(c): Auth,
    Query(p): Query<ResultsParams>,
) -> ApiResult<Json<Results>> {
    let agent = p
        .agent
        .as_deref()
        .map(|a| super::id("agent", a))
        .transpose()?;
    let query = ResultsQuery {
        kind: Some(p.kind),
        from: p.from,
        to: p.to,
        agent,
        external_id: p.external_id,
    };
    Ok(Json(s.services.feedback_results(c.user_id, query).await?))
}
