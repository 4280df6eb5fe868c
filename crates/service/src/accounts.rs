//! Registration, login, profiles and settings (SPEC §3.1).

use chrono::Utc;
use postern_core::error::Thing;
use postern_core::limits::{DESCRIPTION_MAX, NAME_MAX, PASSWORD_MAX, PASSWORD_MIN};
use postern_core::model::{Settings, User};
use postern_core::{Error, Result, UserId, limits, text};
use postern_store::{NewUser, ProfilePatch, SettingsPatch, UserWithSettings};

use crate::Services;
use crate::auth::Issued;

pub struct Registration {
    pub screen_name: String,
    pub password: String,
    pub name: Option<String>,
    pub verified: bool,
    /// Issue a browser session (cookie and CSRF token) rather than a personal access token.
    pub session: bool,
}

fn check_password(password: &str) -> Result<()> {
    let len = password.chars().count();
    if !(PASSWORD_MIN..=PASSWORD_MAX).contains(&len) {
        return Err(Error::invalid(
            "password",
            format!("must be {PASSWORD_MIN} to {PASSWORD_MAX} characters, got {len}"),
        ));
    }
    Ok(())
}

impl Services {
    /// Creates an account and returns it with a bearer token for immediate use.
    pub async fn register(&self, r: Registration) -> Result<(User, Issued)> {
        let screen_name = text::screen_name(&r.screen_name)?;
        check_password(&r.password)?;
        // The name is optional: left blank, the screen name stands in (a profile edit, by
        // contrast, refuses a blank name, as there is no "leave it out" there).
        let name = match r.name.filter(|n| !n.trim().is_empty()) {
            Some(n) => text::single_line("name", &n, NAME_MAX)?,
            None => screen_name.clone(),
        };
        let password_hash = self.hash_password(r.password).await?;
        let user = self
            .store
            .create_user(NewUser {
                id: UserId(self.ids.next_id()),
                screen_name,
                name,
                password_hash,
                verified: r.verified,
                created_at: Utc::now(),
            })
            .await?;
        let token = self.sign_in(user.id, r.session, "registration").await?;
        Ok((self.present(user), token))
    }

    /// Checks a screen name and password; `session` issues a browser session (cookie and
    /// CSRF token) instead of a bearer token.
    /// `from` is the client's address, for the per-address count of failures.
    pub async fn login(
        &self,
        screen_name: &str,
        password: String,
        session: bool,
        from: Option<std::net::IpAddr>,
    ) -> Result<(User, Issued)> {
        self.login_guard.check(screen_name, from)?;
        let Some((id, hash)) = self.store.credentials(screen_name).await? else {
            // Spend the same effort as a real check so timing does not reveal which names exist.
            let _ = self.hash_password(password).await;
            self.login_guard.failed(screen_name, from);
            return Err(Error::BadCredentials);
        };
        if !self.verify_password(password, hash).await? {
            self.login_guard.failed(screen_name, from);
            return Err(Error::BadCredentials);
        }
        self.login_guard.succeeded(screen_name);
        let user = self.user(id).await?;
        let token = self.sign_in(id, session, "login").await?;
        Ok((user, token))
    }

    pub async fn user(&self, id: UserId) -> Result<User> {
        Ok(self.present(self.user_with_settings(id).await?.user))
    }

    pub(crate) async fn user_with_settings(&self, id: UserId) -> Result<UserWithSettings> {
        self.store
            .user(id)
            .await?
            .ok_or(Error::NotFound(Thing::User))
    }

    pub async fn user_by_screen_name(&self, screen_name: &str) -> Result<User> {
        // No account can have a name outside the rules, so none is looked for.
        if text::screen_name(screen_name).is_err() {
            return Err(Error::NotFound(Thing::User));
        }
        self.store
            .user_by_screen_name(screen_name)
            .await?
            .map(|u| self.present(u))
            .ok_or(Error::NotFound(Thing::User))
    }

    pub async fn search_users(&self, q: &str, limit: usize) -> Result<Vec<User>> {
        // An empty query finds no one (the people picker asks before anything is typed).
        if q.trim().is_empty() {
            return Ok(Vec::new());
        }
        let q = text::search_query("q", q, limits::SEARCH_QUERY_MAX)?;
        let prefix = q.trim_start_matches('@');
        if prefix.is_empty()
            || !prefix
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            return Ok(Vec::new());
        }
        Ok(self.present_all(self.store.search_users(prefix, limit).await?))
    }

    pub async fn update_profile(
        &self,
        id: UserId,
        name: Option<String>,
        description: Option<String>,
    ) -> Result<User> {
        let patch = ProfilePatch {
            name: name
                .map(|n| text::single_line("name", &n, NAME_MAX))
                .transpose()?,
            description: description
                .map(|d| text::free_text("description", &d, DESCRIPTION_MAX))
                .transpose()?,
        };
        if patch.name.as_deref() == Some("") {
            return Err(Error::invalid("name", "must not be empty"));
        }
        Ok(self.present(self.store.update_profile(id, patch).await?))
    }

    pub async fn settings(&self, id: UserId) -> Result<Settings> {
        Ok(self.user_with_settings(id).await?.settings)
    }

    pub async fn update_settings(&self, id: UserId, patch: SettingsPatch) -> Result<Settings> {
        self.check_dms_setting(id, patch.allow_dms_from).await?;
        self.store.update_settings(id, patch).await
    }

    /// Operators mark accounts verified (`postern admin user verify`).
    pub async fn set_verified(&self, id: UserId, verified: bool) -> Result<()> {
        self.store.set_verified(id, verified).await
    }
}
