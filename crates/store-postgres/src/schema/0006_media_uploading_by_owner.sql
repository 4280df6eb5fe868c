-- A user's uploads in progress, counted against their quota each time one starts.
CREATE INDEX media_uploading_by_owner ON media (owner_id) WHERE state = 'uploading';
