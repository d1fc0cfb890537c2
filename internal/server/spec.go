// Package server turns courier.yaml into a running engine: it declares the file's root spec,
// builds channels from it with the connector registry, opens the store, and runs the engine
// until a signal stops it, reloading changed channels on SIGHUP.
package server

import (
	"github.com/courier-hl7/courier/internal/config"
	"github.com/courier-hl7/courier/internal/connector"
	"github.com/courier-hl7/courier/internal/transform"
)

// Keys of courier.yaml.
const (
	keyServer       = "server"
	keyNodeID       = "node_id"
	keyDataDir      = "data_dir"
	keyLog          = "log"
	keyLevel        = "level"
	keyFormat       = "format"
	keyMetrics      = "metrics_listen"
	keyShutdown     = "shutdown_timeout"
	keyStore        = "store"
	keyDriver       = "driver"
	keyPath         = "path"
	keyPruneContent = "prune_content_after"
	keyDeleteAfter  = "delete_after"
	keyChannels     = "channels"
	keyName         = "name"
	keyEnabled      = "enabled"
	keySource       = "source"
	keyAck          = "ack"
	keyAckTimeout   = "ack_timeout"
	keyDedupe       = "dedupe_window"
	keyCharset      = "charset"
	keyTerminators  = "terminators"
	keyMaxSize      = "max_message_size"
	keyTypes        = "types"
	keyDests        = "destinations"
	keyOrderBy      = "order_by"
	keyParallel     = "parallel"
	keyTimeout      = "timeout"
	keyClaim        = "claim_size"
	keyRetry        = "retry"
	keyInitial      = "initial"
	keyMax          = "max"
	keyMultiplier   = "multiplier"
	keyJitter       = "jitter"
	keyMaxAttempts  = "max_attempts"
	keyOnGiveUp     = "on_give_up"
)

// RootSpec describes courier.yaml. Sources, destinations and steps come from env's registry.
func RootSpec() config.Spec {
	return config.Spec{
		Name:    "courier.yaml",
		Summary: "Courier's configuration: the server, the message store and the channels.",
		Description: "One YAML file configures everything. Unknown keys, wrong types and bad references are " +
			"errors, all reported at once with file:line:col; `courier lint FILE` checks a file without running it. " +
			"Values may use `${NAME}` or `${NAME:-default}` (environment variables; also written `${env:NAME}`), " +
			"`${file:PATH}` (a secret read from a file, without its final newline; a relative PATH is relative to " +
			"the configuration file's folder) and `$${` for a literal `${`. Values read with `${file:...}` and secret fields " +
			"(passwords, tokens) are shown as `***` in logs and " +
			"never quoted in errors. Keys starting with `x-` are ignored, so a file can hold YAML anchors.",
		Fields: []config.Field{
			{Name: keyServer, Type: config.Object, Description: "The Courier process. Read when Courier starts: a reload (SIGHUP) restarts channels only, and logs which of these settings it did not apply.", Fields: []config.Field{
				{Name: keyNodeID, Type: config.String, Description: "Name of this node in queue leases. Stable across restarts, so that a node takes back its own leases after a crash. Default: the name kept in the file `node-id` beside the store's database, the host name when that file was first written (a host name that changes later, as a container's does, does not change it).", Example: "courier-1"},
				{Name: keyDataDir, Type: config.String, Default: "./courier-data", Description: "Directory for the store and other state. A relative path given here is relative to the configuration file's folder; without this key, ./courier-data in the directory Courier starts in.", Example: "/var/lib/courier"},
				{Name: keyLog, Type: config.Object, Description: "Logging. Logs never carry message content.", Fields: []config.Field{
					{Name: keyLevel, Type: config.String, Default: "info", Enum: []string{"debug", "info", "warn", "error"}, Description: "Least severe level written."},
					{Name: keyFormat, Type: config.String, Default: "text", Enum: []string{"text", "json"}, Description: "Line format: text for people, json for log collectors."},
				}},
				{Name: keyMetrics, Type: config.String, Default: "", Description: "Address to serve Prometheus metrics on (`/metrics`), such as `127.0.0.1:9090`; empty for none. docs/metrics.md lists them.", Example: "127.0.0.1:9090"},
				{Name: keyShutdown, Type: config.Duration, Default: "10s", Description: "How long a stop (SIGTERM) may take: sources stop, messages in flight are stored and answered, sends in flight finish."},
			}},
			{Name: keyStore, Type: config.Object, Description: "Where messages, queues and their history are kept. Read when Courier starts, like `server`; retention runs when Courier starts and then once a minute.", Fields: []config.Field{
				{Name: keyDriver, Type: config.String, Default: "sqlite", Enum: []string{"sqlite"}, Description: "Store implementation. `sqlite`: an embedded database file (one node)."},
				{Name: keyPath, Type: config.String, Default: "", Description: "Database file. Default: courier.db in the data directory.", Example: "/var/lib/courier/courier.db"},
				{Name: keyPruneContent, Type: config.Duration, Default: "0", Description: "Remove the content of messages older than this whose deliveries are all done, with their error texts (which quote it); their metadata, statuses and history stay. 0 keeps content.", Example: "720h"},
				{Name: keyDeleteAfter, Type: config.Duration, Default: "0", Description: "Delete messages older than this whose deliveries are all done, history included. 0 keeps them.", Example: "2160h"},
			}},
			{Name: keyChannels, Type: config.List, Description: "The channels: each one source, its steps, and its destinations.", Elem: &config.Field{Type: config.Object, Fields: channelFields()}},
		},
		Examples: []string{defaultConfig},
	}
}

func channelFields() []config.Field {
	return append([]config.Field{
		{Name: keyName, Type: config.String, Required: true, Pattern: `^[A-Za-z0-9][A-Za-z0-9_.-]*$`, Description: "Unique name of the channel, used in logs, metrics and the store.", Example: "adt-in"},
		{Name: keyEnabled, Type: config.Bool, Default: true, Description: "A disabled channel is checked but not started."},
		{Name: keySource, Type: config.Plugin, Category: connector.CategorySource, Description: "Where messages come from. A channel without a source receives only from other channels (a `channel` destination)."},
		{Name: keyAck, Type: config.String, Default: "after-store", Enum: []string{"after-store", "after-delivery", "immediate", "none"},
			Description: "When the sender is acknowledged. `after-store`: once the message and its queue entries are durably stored (safe). `after-delivery`: with the first destination's answer (waits up to ack_timeout). `immediate`: before storing — UNSAFE, a crash or a full disk loses acknowledged messages. `none`: never."},
		{Name: keyAckTimeout, Type: config.Duration, Default: "30s", Description: "With ack: after-delivery, how long to wait for the first destination before answering AE (the message stays queued)."},
		{Name: keyDedupe, Type: config.Duration, Default: "24h", Description: "Messages with the same MSH-3, MSH-4 and MSH-10 within this window are duplicates: the first acknowledgement is replayed and they are not delivered again. A rejected message (answered AE/AR by validation or the channel's steps) is the original only of unchanged resends: a corrected message sent again under the same MSH-10 is processed. A message that differs from one in the window only by MSH-7 and MSH-10 (a probable resend under a new control ID) is delivered, flagged (`courier messages show` names the original) and counted in `courier_same_content_resends_total`. 0 disables both checks."},
		{Name: keyCharset, Type: config.String, Default: "", Description: "Character set of messages without MSH-18: an HL7 table 0211 value such as `8859/1`, or an IANA name; empty reads bytes as ASCII or UTF-8.", Example: "8859/1"},
		{Name: keyTerminators, Type: config.String, Default: "auto", Enum: []string{"auto", "cr", "any"}, Description: "Segment terminators: `auto` (CR; LF or CRLF files are read too), `cr` (the standard, strictly), `any` (CR, LF and CRLF wherever they appear)."},
		{Name: keyMaxSize, Type: config.Size, Default: "16MiB", Description: "Largest message accepted."},
		validateField(),
		{Name: keyTypes, Type: config.List, Elem: &config.Field{Type: config.String}, Description: "Only these message types (`ADT`) or type^trigger pairs (`ADT^A01`) go on; others are stored as FILTERED and acknowledged. Empty: all.", Example: []any{"ADT^A01", "ADT^A04", "ADT^A08"}},
		{Name: keyDests, Type: config.List, Description: "Where messages go. Each destination has its own ordered queue.", Elem: &config.Field{Type: config.Plugin, Category: connector.CategoryDestination, Fields: destinationFields()}},
	}, transform.Fields()...)
}

func destinationFields() []config.Field {
	return append([]config.Field{
		{Name: keyName, Type: config.String, Required: true, Pattern: `^[A-Za-z0-9][A-Za-z0-9_.-]*$`, Description: "Name of the destination, unique in its channel.", Example: "ehr"},
		{Name: keyOrderBy, Type: config.String, Default: "", Description: "Keep order per value of this path instead of one strict queue: messages of different keys (patients) are delivered in parallel, each key in order. Empty: strict FIFO for the whole destination.", Example: "PID-3.1"},
		{Name: keyParallel, Type: config.Int, Default: 8, Min: config.Bound(1), Max: config.Bound(1024), Description: "With order_by, how many keys are delivered at once."},
		{Name: keyTimeout, Type: config.Duration, Default: "30s", Description: "Longest time one delivery attempt may take."},
		{Name: keyClaim, Type: config.Int, Default: 32, Min: config.Bound(1), Max: config.Bound(1024), Advanced: true, Description: "How many queue entries a strict destination takes from the store at once (delivered one by one, in order)."},
		{Name: keyRetry, Type: config.Object, Description: "What happens when a delivery fails (no answer, or a negative one).", Fields: []config.Field{
			{Name: keyInitial, Type: config.Duration, Default: "1s", Description: "Wait after the first failure."},
			{Name: keyMax, Type: config.Duration, Default: "5m", Description: "Longest wait between attempts."},
			{Name: keyMultiplier, Type: config.Float, Default: 2.0, Min: config.Bound(1), Description: "Growth of the wait per attempt."},
			{Name: keyJitter, Type: config.Float, Default: 0.2, Min: config.Bound(0), Max: config.Bound(0.9), Description: "Random spread of each wait, as a fraction (0.2 = ±20%)."},
			{Name: keyMaxAttempts, Type: config.Int, Default: 0, Min: config.Bound(0), Description: "Give up after this many attempts. 0 retries forever."},
			{Name: keyOnGiveUp, Type: config.String, Default: "hold", Enum: []string{"hold", "continue"}, Description: "When a message gives up: `hold` keeps it at the head of the queue, blocking the messages behind it until an operator retries or skips it; `continue` sets it aside in error and delivers the next."},
		}},
	}, transform.Fields()...)
}

// defaultConfig is what `courier serve` runs without a configuration file: an MLLP listener on
// port 2575 that stores and acknowledges every message.
const defaultConfig = `server:
  data_dir: ./courier-data
store:
  driver: sqlite
channels:
  - name: inbound
    source:
      type: mllp
      listen: ":2575"
    ack: after-store
`

// Validation keys.
const (
	keyValidate     = "validate"
	keyVersion      = "version"
	keyProfiles     = "profiles"
	keyRules        = "rules"
	keyTables       = "tables"
	keyLengthErrors = "length_errors"
	keyTableErrors  = "table_errors"
	keyRejectZ      = "reject_z_segments"
	keyOnInvalid    = "on_invalid"
)

func validateField() config.Field {
	return config.Field{Name: keyValidate, Type: config.Object, Description: "Validate every message before the steps (docs/validate.md): its structure (segments, groups, order, cardinality), required fields, repetitions, lengths, data types and table values for its version, and conformance profiles and rules when given. A message with errors is stored with status ERROR and answered AE (CE in enhanced mode) with one ERR segment per problem. Without this key, messages are not validated.", Fields: []config.Field{
		{Name: keyVersion, Type: config.String, Default: "", Description: "Validate as this HL7 version instead of each message's MSH-12.", Example: "2.5.1"},
		{Name: keyProfiles, Type: config.List, Elem: &config.Field{Type: config.String}, Description: "HL7 v2 XML conformance profiles (the form the NIST tools and Messaging Workbench write), relative to the configuration's folder.", Example: []any{"profiles/adt-a01.xml"}},
		{Name: keyRules, Type: config.List, Elem: &config.Field{Type: config.String}, Description: "YAML rule files (`PID-3 required`, `PV1-2 in [I,O,E]`…), relative to the configuration's folder.", Example: []any{"rules/ehr.yaml"}},
		{Name: keyTables, Type: config.List, Elem: &config.Field{Type: config.String}, Description: "CSV files of user tables (code,description) that replace or add to HL7 tables.", Example: []any{"tables/hl70001.csv"}},
		{Name: keyLengthErrors, Type: config.Bool, Default: false, Description: "Report values longer than their maximum length as errors (rejecting the message) instead of warnings."},
		{Name: keyTableErrors, Type: config.Bool, Default: false, Description: "Report codes missing from HL7 tables as errors instead of warnings."},
		{Name: keyRejectZ, Type: config.Bool, Default: false, Description: "Report Z-segments that neither the structure nor a profile names as unexpected."},
		{Name: keyOnInvalid, Type: config.String, Default: "reject", Enum: []string{"reject", "accept"}, Description: "`reject`: a message with errors is answered AE and not delivered. `accept`: it goes on, and its problems are logged (by path and code, never the content)."},
	}}
}
