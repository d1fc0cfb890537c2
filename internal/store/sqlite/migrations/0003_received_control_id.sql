-- 0003_received_control_id: the control ID (MSH-10) a message was received with, when the
-- channel's steps stored it under another one (the parts of a split: SPLIT1-1, SPLIT1-2), so
-- that an operator searching for the ID the sender knows finds them. Empty otherwise; the
-- index holds only the messages that have one, so an ordinary receive writes nothing more.
ALTER TABLE messages ADD COLUMN received_control_id TEXT NOT NULL DEFAULT '';
CREATE INDEX messages_received_control ON messages (received_control_id) WHERE received_control_id <> '';
