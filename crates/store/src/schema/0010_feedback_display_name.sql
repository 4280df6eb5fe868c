-- The name a survey's question names the account by, when the account gave one (Twitter's
-- `display_name` on feedback cards, issue 17). Written once for both backends.
ALTER TABLE feedback_requests ADD COLUMN display_name TEXT;
