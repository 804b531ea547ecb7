-- VNC/RDP clipboard text per endpoint: 'off' (default), 'device-to-browser' (the device's clipboard is shown to the
-- session's participants) or 'both' (the Controller may also send text to the device). Enforced in the cloud.
ALTER TABLE endpoint_policies ADD COLUMN clipboard TEXT NOT NULL DEFAULT 'off'
    CHECK (clipboard IN ('off', 'device-to-browser', 'both'));
