package config

import (
	"strings"
	"testing"
	"time"
)

// testRoot is a small but realistic courier.yaml spec: server settings, a store, and channels
// with a plug-in source, transform steps and a list of plug-in destinations that share common
// keys. The engine declares the real one; this one exercises every feature of the package.
func testRoot() Spec {
	tlsFields := []Field{
		{Name: "cert", Type: String, Description: "PEM certificate file."},
		{Name: "key", Type: String, Description: "PEM private key file.", Secret: true},
		{Name: "ca", Type: String, Description: "PEM file of the CAs whose client certificates are accepted."},
	}
	return Spec{
		Name:    "courier.yaml",
		Summary: "Courier's configuration file.",
		Description: "One file holds the server settings, the message store and the channels. " +
			"Values may use `${NAME}` interpolation.",
		Fields: []Field{
			{Name: "server", Type: Object, Description: "The dashboard and REST API.", Fields: []Field{
				{Name: "listen", Type: String, Default: ":8080", Description: "Address of the dashboard and API."},
				{Name: "read_timeout", Type: Duration, Default: 30 * time.Second, Min: Bound(0.001),
					Description: "How long a request may take to arrive."},
				{Name: "max_body", Type: Size, Default: 16 << 20, Max: Bound(1 << 30), Advanced: true,
					Description: "The largest request body accepted. Larger ones get 413."},
				{Name: "log_level", Type: String, Enum: []string{"debug", "info", "warn", "error"}, Default: "info",
					Description: "The least severe level logged."},
				{Name: "tls", Type: Object, Description: "Serve HTTPS with these files.", Fields: tlsFields},
			}},
			{Name: "store", Type: Object, Required: true, Description: "Where messages are kept.", Fields: []Field{
				{Name: "driver", Type: String, Enum: []string{"sqlite", "postgres"}, Default: "sqlite",
					Description: "sqlite for one node, postgres for several."},
				{Name: "path", Type: String, Default: "./courier-data/courier.db", Description: "The SQLite file."},
				{Name: "dsn", Type: String, Secret: true, Description: "The PostgreSQL connection string.",
					Example: "${file:/run/secrets/courier_dsn}"},
				{Name: "max_conns", Type: Int, Default: 10, Min: Bound(1), Max: Bound(100), Advanced: true,
					Description: "Connections in the pool."},
			}},
			{Name: "channels", Type: List, Description: "The channels, each one source to one or more destinations.",
				Elem: &Field{Type: Object, Fields: []Field{
					{Name: "name", Type: String, Required: true, Pattern: `^[a-z][a-z0-9-]*$`,
						Description: "Unique name, used in URLs and metrics.", Example: "adt-in"},
					{Name: "enabled", Type: Bool, Default: true, Description: "Start the channel with the server."},
					{Name: "ack", Type: String, Enum: []string{"after-store", "after-delivery", "immediate", "none"},
						Default: "after-store", Description: "When the source is acknowledged."},
					{Name: "ack_mode", Type: String, Deprecated: "use `ack`.", Description: "The old name of `ack`."},
					{Name: "source", Type: Plugin, Category: "source", Required: true, Description: "Where messages come from."},
					{Name: "steps", Type: List, Elem: &Field{Type: Plugin, Category: "step"},
						Description: "Transform steps applied to every message, in order."},
					{Name: "destinations", Type: List, Description: "Where messages go.", Elem: &Field{
						Type: Plugin, Category: "destination", Fields: []Field{
							{Name: "name", Type: String, Required: true, Description: "Unique within the channel."},
							{Name: "steps", Type: List, Elem: &Field{Type: Plugin, Category: "step"},
								Description: "Transform steps for this destination only."},
							{Name: "retry", Type: Object, Description: "How failed deliveries are retried.", Fields: []Field{
								{Name: "max_attempts", Type: Int, Default: 5, Min: Bound(0), Description: "0 retries forever."},
								{Name: "backoff", Type: Duration, Default: time.Second, Description: "The first wait; it doubles."},
							}},
						}}},
					{Name: "metadata", Type: Map, Elem: &Field{Type: String}, Advanced: true,
						Description: "Labels shown in the dashboard."},
					{Name: "sample_rate", Type: Float, Default: 1.0, Min: Bound(0), Max: Bound(1), Advanced: true,
						Description: "The fraction of messages whose content is kept for search."},
				}}},
			{Name: "extensions", Type: Any, Advanced: true, Description: "Free-form settings for add-ons."},
		},
		Examples: []string{`store:
  driver: sqlite
channels:
  - name: adt-in
    source: {type: mllp, listen: ":2575"}
    destinations:
      - name: lab
        type: mllp
        host: lab.example.org
        port: ${LAB_PORT:-2575}
`},
	}
}

// testRegistry registers a few plug-ins of each category, shaped like the real connectors.
func testRegistry(t testing.TB) *Registry {
	t.Helper()
	reg := NewRegistry()
	must := func(category string, s Spec) {
		if err := reg.Register(category, s); err != nil {
			t.Fatal(err)
		}
	}
	must("source", Spec{
		Name: "mllp", Summary: "Receives HL7 v2 over MLLP/TCP.",
		Description: "Listens for TCP connections and reads MLLP frames.",
		Fields: []Field{
			{Name: "listen", Type: String, Default: ":2575", Description: "Address to listen on."},
			{Name: "max_message_size", Type: Size, Default: 1 << 20, Min: Bound(1024), Description: "Frames larger than this are refused."},
			{Name: "read_timeout", Type: Duration, Default: time.Minute, Description: "Idle connections are closed after this."},
			{Name: "tls", Type: Object, Description: "Accept TLS connections.", Fields: []Field{
				{Name: "cert", Type: String, Description: "PEM certificate file."},
				{Name: "key", Type: String, Secret: true, Description: "PEM private key."},
				{Name: "ca", Type: String, Description: "Client CAs for mTLS."},
			}},
		},
		Examples: []string{"listen: \":2575\"\nread_timeout: 5m\n"},
	})
	must("source", Spec{
		Name: "file", Summary: "Reads HL7 v2 files from a directory.",
		Fields: []Field{
			{Name: "dir", Type: String, Required: true, Description: "The directory to poll."},
			{Name: "pattern", Type: String, Default: "*.hl7", Description: "Which files to read."},
			{Name: "poll", Type: Duration, Default: 5 * time.Second, Description: "How often to look."},
		},
		Examples: []string{"type: file\ndir: /data/in\n"},
	})
	must("destination", Spec{
		Name: "mllp", Summary: "Sends HL7 v2 over MLLP/TCP.",
		Fields: []Field{
			{Name: "host", Type: String, Required: true, Description: "The receiver's host name."},
			{Name: "port", Type: Int, Required: true, Min: Bound(1), Max: Bound(65535), Description: "The receiver's port."},
			{Name: "timeout", Type: Duration, Default: 10 * time.Second, Description: "How long to wait for the ACK."},
		},
		Examples: []string{"host: lab.example.org\nport: 2575\n"},
	})
	must("destination", Spec{
		Name: "http", Summary: "POSTs messages to a URL.",
		Fields: []Field{
			{Name: "url", Type: String, Required: true, Pattern: `^https?://`, Description: "Where to send."},
			{Name: "method", Type: String, Enum: []string{"POST", "PUT"}, Default: "POST", Description: "The HTTP method."},
			{Name: "headers", Type: Map, Elem: &Field{Type: String}, Description: "Extra request headers."},
			{Name: "token", Type: String, Secret: true, Description: "A bearer token."},
		},
		Examples: []string{"url: https://fhir.example.org/ingest\ntoken: ${file:/run/secrets/token}\n"},
	})
	must("step", Spec{
		Name: "set", Summary: "Sets a field.",
		Fields: []Field{
			{Name: "path", Type: String, Required: true, Description: "The field, like PID-5.1."},
			{Name: "value", Type: String, Required: true, Description: "The new value."},
		},
	})
	must("step", Spec{
		Name: "when", Summary: "Runs steps if a condition holds.",
		Fields: []Field{
			{Name: "expr", Type: String, Required: true, Description: "The condition."},
			{Name: "steps", Type: List, Elem: &Field{Type: Plugin, Category: "step"}, Description: "The steps to run."},
		},
		Examples: []string{"expr: msg.type == 'ADT'\nsteps:\n  - {type: set, path: PID-8, value: U}\n"},
	})
	return reg
}

// testEnv is a fixed environment, so that tests do not depend on the machine's.
func testEnv(vars map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		v, ok := vars[name]
		return v, ok
	}
}

var stdEnv = testEnv(map[string]string{"LAB_HOST": "lab.example.org", "LAB_PORT": "2575", "EMPTY": "", "TOKEN": "s3cret-token"})

func TestSpecValidate(t *testing.T) {
	tests := []struct {
		name  string
		field Field
		want  string // substring of the error; "" for valid
	}{
		{"ok", Field{Name: "port", Type: Int, Default: 1}, ""},
		{"no type", Field{Name: "port"}, `field "port": invalid type Type(0)`},
		{"name", Field{Name: "Port", Type: Int}, `field "Port": name must be snake_case`},
		{"required default", Field{Name: "a", Type: Int, Required: true, Default: 1}, "required fields have no default"},
		{"enum on int", Field{Name: "a", Type: Int, Enum: []string{"x"}}, "Enum applies to strings"},
		{"bad pattern", Field{Name: "a", Type: String, Pattern: "("}, "pattern: error parsing regexp"},
		{"min max", Field{Name: "a", Type: Int, Min: Bound(2), Max: Bound(1)}, "Min 2 is above Max 1"},
		{"secret int", Field{Name: "a", Type: Int, Secret: true}, "Secret applies to strings"},
		{"list no elem", Field{Name: "a", Type: List}, "a list needs an Elem"},
		{"plugin no category", Field{Name: "a", Type: Plugin}, "a plugin needs a Category"},
		{"bad default", Field{Name: "a", Type: Duration, Default: "5 seconds"}, "default: expected a duration like 5s, 250ms or 2h, got `5 seconds`"},
		{"default out of range", Field{Name: "a", Type: Int, Default: 0, Min: Bound(1)}, "default: `0` is below the minimum 1"},
		{"default enum", Field{Name: "a", Type: String, Default: "x", Enum: []string{"y"}}, "default: invalid value `x`"},
		{"duration default", Field{Name: "a", Type: Duration, Default: time.Second}, ""},
		{"size default", Field{Name: "a", Type: Size, Default: "16MiB"}, ""},
		{"list default", Field{Name: "a", Type: List, Elem: &Field{Type: String}, Default: []string{"x"}}, ""},
		{"list default wrong", Field{Name: "a", Type: List, Elem: &Field{Type: Int}, Default: []string{"x"}}, "default: expected an integer, got `x`"},
		{"nested", Field{Name: "a", Type: Object, Fields: []Field{{Name: "b"}}}, `field "a.b": invalid type`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Spec{Name: "t", Fields: []Field{tt.field}}.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Validate: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("Validate = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestRegister(t *testing.T) {
	reg := testRegistry(t)
	tests := []struct {
		category string
		spec     Spec
		want     string
	}{
		{"source", Spec{Name: "mllp"}, `register source "mllp": already registered`},
		{"source", Spec{Name: "MLLP"}, `register source "MLLP": invalid kind name`},
		{"", Spec{Name: "x"}, `register "x": invalid category ""`},
		{"source", Spec{Name: "x", Fields: []Field{{Name: "type", Type: String}}}, "field `type` is the kind selector"},
		{"source", Spec{Name: "x", Fields: []Field{{Name: "a", Type: String}, {Name: "a", Type: Int}}}, `field "a": declared twice`},
	}
	for _, tt := range tests {
		err := reg.Register(tt.category, tt.spec)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Register(%q, %q) = %v, want %q", tt.category, tt.spec.Name, err, tt.want)
		}
	}
	if got := strings.Join(reg.Kinds("source"), ","); got != "file,mllp" {
		t.Errorf("Kinds(source) = %s", got)
	}
	if got := strings.Join(reg.Categories(), ","); got != "destination,source,step" {
		t.Errorf("Categories = %s", got)
	}
	if _, ok := reg.Lookup("source", "nope"); ok {
		t.Error("Lookup(source, nope) found something")
	}
}

func TestCheckExamples(t *testing.T) {
	reg := testRegistry(t)
	if err := reg.CheckExamples(); err != nil {
		t.Fatalf("registry examples:\n%v", err)
	}
	if err := CheckExamples(testRoot(), "", reg); err != nil {
		t.Fatalf("root examples:\n%v", err)
	}
	bad := Spec{Name: "mllp", Fields: []Field{{Name: "port", Type: Int}}, Examples: []string{"port: x\nhost: y\n", "type: file\n"}}
	err := CheckExamples(bad, "source", reg)
	want := "source mllp example 1:1:7: port: expected an integer, got `x`\n" +
		"source mllp example 1:2:1: host: unknown key `host` (known keys: `type`, `port`)\n" +
		"source mllp example 2:1:7: type: an example of `mllp` has type `file`"
	if err == nil || err.Error() != want {
		t.Fatalf("CheckExamples =\n%v\nwant\n%s", err, want)
	}
}
