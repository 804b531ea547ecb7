-- What each session's connection negotiated and the device's banner (SessionDetails as JSON).
ALTER TABLE sessions ADD COLUMN details TEXT;
