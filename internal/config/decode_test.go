package config

import (
	"errors"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files and the .errors files in testdata")

func TestGoodConfigs(t *testing.T) {
	reg := testRegistry(t)
	files, _ := filepath.Glob("testdata/*.good.yaml")
	if len(files) == 0 {
		t.Fatal("no testdata/*.good.yaml")
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			n, err := Load(file, testRoot(), reg, stdEnv)
			if err != nil {
				t.Fatalf("Load:\n%v", err)
			}
			if w := n.Warnings(); len(w) > 0 {
				t.Errorf("warnings: %v", w)
			}
		})
	}
}

// TestBadConfigs decodes every testdata/*.bad.yaml and compares all the errors, one per line,
// with the sibling .errors file (go test -update rewrites them; review the diff).
func TestBadConfigs(t *testing.T) {
	reg := testRegistry(t)
	files, _ := filepath.Glob("testdata/*.bad.yaml")
	if len(files) == 0 {
		t.Fatal("no testdata/*.bad.yaml")
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			_, err := Load(file, testRoot(), reg, stdEnv)
			if err == nil {
				t.Fatal("Load succeeded")
			}
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("Load returned %T, not Errors: %v", err, err)
			}
			got := err.Error() + "\n"
			golden := strings.TrimSuffix(file, ".yaml") + ".errors"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("errors:\n%s\nwant (%s):\n%s", got, golden, want)
			}
		})
	}
}

func TestFullConfig(t *testing.T) {
	n, err := Load("testdata/full.good.yaml", testRoot(), testRegistry(t), stdEnv)
	if err != nil {
		t.Fatal(err)
	}
	srv := n.Object("server")
	check := func(name string, got, want any) {
		t.Helper()
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %#v, want %#v", name, got, want)
		}
	}
	check("server.listen", srv.String("listen"), "127.0.0.1:8443")
	check("server.read_timeout", srv.Duration("read_timeout"), 15*time.Second)
	check("server.max_body", srv.Size("max_body"), int64(32<<20))
	check("server.tls.key", srv.Object("tls").String("key"), "/etc/courier/tls/server.key")
	check("store.dsn", n.Object("store").String("dsn"), "postgres://courier:hunter2@db.internal/courier?sslmode=verify-full")
	check("store.max_conns", n.Object("store").Int("max_conns"), 20)

	chans := n.List("channels")
	check("len(channels)", len(chans), 2)
	adt := chans[0]
	check("adt.enabled (default)", adt.Bool("enabled"), true)
	check("adt.Has(enabled)", adt.Has("enabled"), false)
	check("adt.ack (default)", adt.String("ack"), "after-store")
	check("adt.sample_rate", adt.Float("sample_rate"), 0.25)
	check("adt.metadata", adt.StringMap("metadata"), map[string]string{"owner": "integration-team"})
	src := adt.Object("source")
	check("adt.source.Kind", src.Kind(), "mllp")
	check("adt.source.max_message_size", src.Size("max_message_size"), int64(4<<20))
	check("adt.source.read_timeout (default)", src.Duration("read_timeout"), time.Minute)
	check("adt.source.Path", src.Path(), "channels[0].source")
	steps := adt.List("steps")
	check("steps kinds", []string{steps[0].Kind(), steps[1].Kind()}, []string{"set", "when"})
	check("nested step", steps[1].List("steps")[0].String("path"), "PID-8")
	check("nested step path", steps[1].List("steps")[0].Path(), "channels[0].steps[1].steps[0]")

	dests := adt.List("destinations")
	lab, fhir := dests[0], dests[1]
	check("lab.name (shared)", lab.String("name"), "lab")
	check("lab.host (env)", lab.String("host"), "lab.example.org")
	check("lab.port (env, converted)", lab.Int("port"), 2575)
	check("lab.retry (alias)", lab.Object("retry").Int("max_attempts"), 10)
	check("lab.retry.backoff (alias)", lab.Object("retry").Duration("backoff"), 500*time.Millisecond)
	check("fhir.retry (merge, override)", fhir.Object("retry").Int("max_attempts"), 3)
	check("fhir.retry.backoff (merged)", fhir.Object("retry").Duration("backoff"), 500*time.Millisecond)
	check("fhir.token", fhir.String("token"), "s3cret-token")
	check("fhir.headers", fhir.StringMap("headers"), map[string]string{"X-Source": "courier", "X-Trace.Id": "${not-a-variable}"})
	check("fhir.headers keys", fhir.MapKeys("headers"), []string{"X-Source", "X-Trace.Id"})
	check("fhir.headers entry path", fhir.Map("headers")["X-Trace.Id"].Path(), `channels[0].destinations[1].headers["X-Trace.Id"]`)
	check("fhir.PosOf(url)", fhir.PosOf("url"), Position{File: "testdata/full.good.yaml", Line: 47, Col: 14})
	check("fhir.Pos", fhir.Pos(), Position{File: "testdata/full.good.yaml", Line: 45, Col: 9})

	lr := chans[1]
	check("lab-results.enabled", lr.Bool("enabled"), false)
	check("lab-results.ack", lr.String("ack"), "after-delivery")
	check("lab-results.source", lr.Object("source").Duration("poll"), time.Minute)
	check("lab-results.source.pattern", lr.Object("source").String("pattern"), "*.hl7")
	check("lab-results.steps", len(lr.List("steps")), 0)
	check("lab-results.metadata", lr.StringMap("metadata"), map[string]string{})

	check("extensions", n.Any("extensions"), map[string]any{
		"dashboard": map[string]any{"theme": "dark", "widgets": []any{"queue", "errors"}},
		"greeting":  "hello",
	})
}

func TestDefaults(t *testing.T) {
	n, err := Load("testdata/minimal.good.yaml", testRoot(), testRegistry(t), stdEnv)
	if err != nil {
		t.Fatal(err)
	}
	srv := n.Object("server")
	if srv == nil || srv.Has("listen") || n.Has("server") {
		t.Fatalf("absent server: node %v, Has(server) %v", srv, n.Has("server"))
	}
	if got := srv.String("listen"); got != ":8080" {
		t.Errorf("server.listen = %q", got)
	}
	if got := srv.Size("max_body"); got != 16<<20 {
		t.Errorf("server.max_body = %d", got)
	}
	if got := srv.Object("tls").String("cert"); got != "" {
		t.Errorf("server.tls.cert = %q", got)
	}
	if !n.Has("store") || n.Object("store").Has("driver") {
		t.Error("Has(store) false or store.Has(driver) true")
	}
	if got := n.Object("store").String("driver"); got != "sqlite" {
		t.Errorf("store.driver = %q", got)
	}
	if got := n.List("channels"); got != nil {
		t.Errorf("channels = %v", got)
	}
	if got := n.Any("extensions"); got != nil {
		t.Errorf("extensions = %v", got)
	}
	// An absent key points at its enclosing object.
	want := Position{File: "testdata/minimal.good.yaml", Line: 2, Col: 8}
	if got := n.Object("store").PosOf("path"); got != want {
		t.Errorf("PosOf(path) = %v, want %v", got, want)
	}
	// Accessors on an absent plug-in (nil) return zero values.
	var none *Node
	if none.String("x") != "" || none.Kind() != "" || none.List("x") != nil || none.Has("x") {
		t.Error("nil Node accessors")
	}
}

func TestAccessorPanics(t *testing.T) {
	n, err := Decode("c.yaml", []byte("store: {}\n"), testRoot(), testRegistry(t), stdEnv)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		call func()
		want string
	}{
		{"undeclared", func() { n.String("nope") }, `config: String("nope") at "": the spec declares no such field`},
		{"wrong type", func() { n.Object("store").Int("driver") }, `config: Int("driver") at "store": the field is a string`},
		{"strings of objects", func() { n.Strings("channels") }, `config: Strings("channels") at "": the elements are object`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if got := recover(); got != tt.want {
					t.Errorf("panic = %v, want %q", got, tt.want)
				}
			}()
			tt.call()
		})
	}
}

// TestScalars covers type conversion one value at a time, in the encoding/csv style: input,
// expected value, exact expected error.
func TestScalars(t *testing.T) {
	tests := []struct {
		field Field
		yaml  string
		want  any
		err   string
	}{
		{Field{Type: String}, `abc`, "abc", ""},
		{Field{Type: String}, `2.50`, "2.50", ""},
		{Field{Type: String}, `true`, "true", ""},
		{Field{Type: String}, `""`, "", ""},
		{Field{Type: String}, `[a]`, "", "expected a string, got a list"},
		{Field{Type: String}, ``, "", "expected a string, got nothing (an empty value)"},
		{Field{Type: String, Secret: true}, `{a: 1}`, "", "expected a string, got a mapping"},
		{Field{Type: String, Enum: []string{"after-store", "none"}}, `afterstore`, "afterstore", "invalid value `afterstore` (did you mean `after-store`? allowed: `after-store`, `none`)"},
		{Field{Type: String, Enum: []string{"a", "b"}}, `zzz`, "zzz", "invalid value `zzz` (allowed: `a`, `b`)"},
		{Field{Type: String, Pattern: `^[a-z]+$`}, `A1`, "A1", "`A1` does not match the pattern `^[a-z]+$`"},
		{Field{Type: String, Secret: true, Pattern: `^[a-z]+$`}, `Hunter2`, "Hunter2", "the value does not match the pattern `^[a-z]+$`"},
		{Field{Type: Int}, `2575`, int64(2575), ""},
		{Field{Type: Int}, `0x1F`, int64(31), ""},
		{Field{Type: Int}, `1_000`, int64(1000), ""},
		{Field{Type: Int}, `-3`, int64(-3), ""},
		{Field{Type: Int}, `"2575"`, int64(0), "expected an integer, got the string `2575` (remove the quotes)"},
		{Field{Type: Int}, `abc`, int64(0), "expected an integer, got `abc`"},
		{Field{Type: Int}, `1.5`, int64(0), "expected an integer, got `1.5`"},
		{Field{Type: Int}, `18446744073709551615`, int64(0), "`18446744073709551615` is too large for an integer"},
		{Field{Type: Int, Min: Bound(1), Max: Bound(65535)}, `70000`, int64(70000), "`70000` is above the maximum 65535"},
		{Field{Type: Int, Min: Bound(1)}, `0`, int64(0), "`0` is below the minimum 1"},
		{Field{Type: Float}, `0.25`, 0.25, ""},
		{Field{Type: Float}, `3`, 3.0, ""},
		{Field{Type: Float}, `18446744073709551615`, 18446744073709551615.0, ""},
		{Field{Type: Float}, `.inf`, 0.0, "expected a finite number, got `.inf`"},
		{Field{Type: Float}, `"0.5"`, 0.0, "expected a number, got the string `0.5` (remove the quotes)"},
		{Field{Type: Bool}, `false`, false, ""},
		{Field{Type: Bool}, `yes`, false, "expected true or false, got `yes`"},
		{Field{Type: Bool}, `"true"`, false, "expected true or false, got the string `true` (remove the quotes)"},
		{Field{Type: Duration}, `250ms`, 250 * time.Millisecond, ""},
		{Field{Type: Duration}, `1h30m`, 90 * time.Minute, ""},
		{Field{Type: Duration}, `0`, time.Duration(0), ""},
		{Field{Type: Duration}, `5 seconds`, time.Duration(0), "expected a duration like 5s, 250ms or 2h, got `5 seconds`"},
		{Field{Type: Duration}, `30`, time.Duration(0), "expected a duration like 5s, 250ms or 2h, got `30` (add a unit, like `30s`)"},
		{Field{Type: Duration}, `-5s`, time.Duration(0), "a duration cannot be negative, got `-5s`"},
		{Field{Type: Duration, Max: Bound(60)}, `2m`, 2 * time.Minute, "`2m` is above the maximum 1m"},
		{Field{Type: Size}, `1024`, int64(1024), ""},
		{Field{Type: Size}, `16MiB`, int64(16 << 20), ""},
		{Field{Type: Size}, `1MB`, int64(1_000_000), ""},
		{Field{Type: Size}, `1.5 KiB`, int64(1536), ""},
		{Field{Type: Size}, `512b`, int64(512), ""},
		{Field{Type: Size}, `"2048"`, int64(2048), ""},
		{Field{Type: Size}, `lots`, int64(0), "expected a size like 16MiB, 1MB or 1024, got `lots`"},
		{Field{Type: Size}, `16 MiBs`, int64(0), "expected a size like 16MiB, 1MB or 1024, got `16 MiBs`"},
		{Field{Type: Size}, `-1`, int64(0), "expected a size like 16MiB, 1MB or 1024, got `-1`"},
		{Field{Type: Size}, `99999999TiB`, int64(0), "expected a size like 16MiB, 1MB or 1024, got `99999999TiB`"},
		{Field{Type: Size, Max: Bound(1 << 20)}, `2MiB`, int64(2 << 20), "`2MiB` is above the maximum 1MiB"},
		{Field{Type: List, Elem: &Field{Type: Int}}, `[1, 2]`, []any{int64(1), int64(2)}, ""},
		{Field{Type: List, Elem: &Field{Type: Int}}, `3`, []any{}, "expected a list, got `3`"},
		{Field{Type: List, Elem: &Field{Type: Int}}, `[1, x]`, []any{int64(1), int64(0)}, "v[1]: expected an integer, got `x`"},
		{Field{Type: Map, Elem: &Field{Type: Duration}}, `{a: 1s}`, map[string]any{"a": time.Second}, ""},
		{Field{Type: Map, Elem: &Field{Type: Int}}, `{a: 1, a: 2}`, map[string]any{"a": int64(1)}, "v.a: duplicate key `a` (first given at line 1)"},
		{Field{Type: Any}, `{a: [1, "x", null, 2.5, true]}`, map[string]any{"a": []any{int64(1), "x", nil, 2.5, true}}, ""},
	}
	for _, tt := range tests {
		tt.field.Name = "v"
		root := Spec{Name: "t", Fields: []Field{tt.field}}
		src := "v: " + tt.yaml + "\n"
		var got any
		n, err := Decode("t.yaml", []byte(src), root, nil, stdEnv)
		if err == nil {
			got = n.fields["v"].Value()
		}
		gotErr := ""
		if es := AsErrors(err); len(es) > 0 {
			gotErr = es[0].Msg
			if es[0].Err != nil {
				gotErr = es[0].Err.Error()
			}
			if es[0].Path != "v" {
				gotErr = es[0].Path + ": " + gotErr
			}
			if len(es) > 1 {
				t.Errorf("%s: %d errors: %v", src, len(es), err)
			}
		} else if err != nil {
			t.Errorf("%s: %v", src, err)
		}
		if gotErr != tt.err {
			t.Errorf("%q as %v: error %q, want %q", tt.yaml, tt.field.Type, gotErr, tt.err)
		}
		if err == nil && !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%q as %v = %#v, want %#v", tt.yaml, tt.field.Type, got, tt.want)
		}
	}
}

func TestInterpolation(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "db_password")
	if err := os.WriteFile(secret, []byte("pa$$word\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "crlf"), []byte("line1\nline2\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "big"), make([]byte, maxSecretFile+1), 0o600); err != nil {
		t.Fatal(err)
	}
	env := testEnv(map[string]string{"HOST": "db.example.org", "PORT": "5432", "EMPTY": ""})
	tests := []struct {
		value string
		want  string
		err   string
	}{
		{`plain`, "plain", ""},
		{`${HOST}`, "db.example.org", ""},
		{`${env:HOST}`, "db.example.org", ""},
		{`"${HOST}:${PORT}"`, "db.example.org:5432", ""},
		{`${MISSING:-fallback}`, "fallback", ""},
		{`${env:MISSING:-fallback}`, "fallback", ""},
		{`${EMPTY:-fallback}`, "fallback", ""},
		{`"${EMPTY}"`, "", ""},
		{`"${MISSING:-}"`, "", ""},
		{`"${MISSING:-a:-b}"`, "a:-b", ""},
		{`"$${HOST}"`, "${HOST}", ""},
		{`"$$${HOST}"`, "$${HOST}", ""}, // a plain $, then the escape
		{`"$${HOST}${HOST}"`, "${HOST}db.example.org", ""},
		{`"$$HOST $5 $"`, "$$HOST $5 $", ""},
		{`${file:` + secret + `}`, "pa$$word", ""},
		{`${file:db_password}`, "pa$$word", ""}, // relative to the configuration file
		{`${file:crlf}`, "line1\nline2", ""},
		{`${MISSING}`, "", "environment variable MISSING is not set (set it, or give a default: `${MISSING:-value}`)"},
		{`${env:MISSING}`, "", "environment variable MISSING is not set (set it, or give a default: `${MISSING:-value}`)"},
		{`"${HOST"`, "", "unterminated `${` (close it with `}`, or write `$${` for a literal `${`)"},
		{`"${}"`, "", "invalid variable name an empty string in `${}` (use letters, digits and _, or write `$${` for a literal `${`)"},
		{`"${1X}"`, "", "invalid variable name `1X` in `${1X}` (use letters, digits and _, or write `$${` for a literal `${`)"},
		{`"${file:}"`, "", "`${file:}` needs a path, like `${file:/run/secrets/db_password}`"},
		{`${file:nope}`, "", "read secret file: stat " + filepath.Join(dir, "nope") + ": no such file or directory"},
		{`${file:` + dir + `}`, "", "read secret file " + dir + ": not a regular file"},
		{`${file:big}`, "", "secret file " + filepath.Join(dir, "big") + " is larger than 1048576 bytes"},
	}
	root := Spec{Name: "t", Fields: []Field{{Name: "v", Type: String}}}
	for _, tt := range tests {
		n, err := Decode(filepath.Join(dir, "courier.yaml"), []byte("v: "+tt.value+"\n"), root, nil, env)
		got, gotErr := "", ""
		if err == nil {
			got = n.String("v")
		} else if es := AsErrors(err); len(es) == 1 {
			gotErr = es[0].Error()
			gotErr = strings.TrimPrefix(gotErr, filepath.Join(dir, "courier.yaml")+":1:4: v: ")
		} else {
			gotErr = err.Error()
		}
		if got != tt.want || gotErr != tt.err {
			t.Errorf("%s = %q, error %q; want %q, error %q", tt.value, got, gotErr, tt.want, tt.err)
		}
	}

	// A failed secret read keeps the cause for errors.Is.
	_, err := Decode(filepath.Join(dir, "courier.yaml"), []byte("v: ${file:nope}\n"), root, nil, env)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("errors.Is(%v, fs.ErrNotExist) = false", err)
	}
	// Interpolated values are converted after substitution.
	typed := Spec{Name: "t", Fields: []Field{
		{Name: "port", Type: Int}, {Name: "on", Type: Bool}, {Name: "wait", Type: Duration}, {Name: "rate", Type: Float},
	}}
	n, err := Decode("t.yaml", []byte("port: ${PORT}\non: ${ON:-true}\nwait: ${W:-2s}\nrate: ${R:-0.5}\n"), typed, nil, env)
	if err != nil {
		t.Fatal(err)
	}
	if n.Int("port") != 5432 || !n.Bool("on") || n.Duration("wait") != 2*time.Second || n.Float("rate") != 0.5 {
		t.Errorf("typed interpolation: %v", n.Value())
	}
	_, err = Decode("t.yaml", []byte("port: ${HOST}\n"), typed, nil, env)
	if want := "t.yaml:1:7: port: expected an integer, got `db.example.org`"; err == nil || err.Error() != want {
		t.Errorf("port: ${HOST}: %v, want %s", err, want)
	}
}

func TestRedaction(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "ca.pem"), []byte("-----BEGIN CERTIFICATE-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	src := `store:
  dsn: postgres://courier:hunter2@db/courier
server:
  tls: {cert: /etc/tls.crt, key: "${file:ca.pem}", ca: "${file:ca.pem}"}
channels:
  - name: a
    source: {type: mllp}
    destinations:
      - {name: web, type: http, url: "https://x.example", token: "${TOKEN}"}
`
	n, err := Decode(filepath.Join(dir, "courier.yaml"), []byte(src), testRoot(), testRegistry(t), stdEnv)
	if err != nil {
		t.Fatal(err)
	}
	outputs := map[string]string{"%v": sprintf("%v", n), "%+v": sprintf("%+v", n), "%s": sprintf("%s", n)}
	js, err := n.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	outputs["json"] = string(js)
	var logged strings.Builder
	logTo(&logged, n)
	outputs["slog"] = logged.String()
	for name, out := range outputs {
		for _, secret := range []string{"hunter2", "s3cret-token", "BEGIN CERTIFICATE"} {
			if strings.Contains(out, secret) {
				t.Errorf("%s output contains %q: %s", name, secret, out)
			}
		}
		if !strings.Contains(out, `***`) || !strings.Contains(out, "/etc/tls.crt") {
			t.Errorf("%s output lacks *** or a plain value: %s", name, out)
		}
	}
	red := n.Redacted().(map[string]any)
	store := red["store"].(map[string]any)
	if store["dsn"] != "***" || store["path"] != "./courier-data/courier.db" {
		t.Errorf("redacted store = %v", store)
	}
	if tls := red["server"].(map[string]any)["tls"].(map[string]any); tls["ca"] != "***" || tls["key"] != "***" {
		t.Errorf("values read from files are not redacted: %v", tls)
	}
	if got := red["server"].(map[string]any)["read_timeout"]; got != "30s" {
		t.Errorf("redacted duration = %#v, want \"30s\"", got)
	}
	dest := red["channels"].([]any)[0].(map[string]any)["destinations"].([]any)[0].(map[string]any)
	if dest["type"] != "http" || dest["token"] != "***" {
		t.Errorf("redacted destination = %v", dest)
	}
	// Value is not redacted: constructors need the secret.
	if got := n.Object("store").Value().(map[string]any)["dsn"]; got != "postgres://courier:hunter2@db/courier" {
		t.Errorf("Value dsn = %v", got)
	}

	// Error messages never quote a secret.
	bad := "store: {driver: postgres, dsn: [hunter2]}\nserver: {log_level: \"${file:ca.pem}\"}\n"
	_, err = Decode(filepath.Join(dir, "courier.yaml"), []byte(bad), testRoot(), testRegistry(t), stdEnv)
	if err == nil || strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "BEGIN") {
		t.Errorf("error quotes a secret: %v", err)
	}
}

func TestErrorf(t *testing.T) {
	reg := testRegistry(t)
	n, err := Load("testdata/full.good.yaml", testRoot(), reg, stdEnv)
	if err != nil {
		t.Fatal(err)
	}
	// What the engine does after decoding: check references and report them with positions.
	var errs Errors
	lab := n.List("channels")[0].List("destinations")[0]
	errs = append(errs, lab.Errorf("port", "port %d is already used by channel %q", lab.Int("port"), "other"))
	errs = append(errs, n.List("channels")[1].Errorf("", "a disabled channel cannot be the target of a route"))
	errs = append(errs, n.Object("server").Errorf("listen", "address in use"))
	errs = append(errs, n.Object("server").Object("tls").Errorf("ca", "set `ca` to require client certificates"))
	want := "testdata/full.good.yaml:4:11: server.listen: address in use\n" +
		"testdata/full.good.yaml:9:5: server.tls.ca: set `ca` to require client certificates\n" +
		"testdata/full.good.yaml:42:15: channels[0].destinations[0].port: port 2575 is already used by channel \"other\"\n" +
		"testdata/full.good.yaml:60:5: channels[1]: a disabled channel cannot be the target of a route"
	if err := errs.Err(); err == nil || err.Error() != want {
		t.Errorf("Errors.Err() =\n%v\nwant\n%s", err, want)
	}
	if (Errors{}).Err() != nil {
		t.Error("empty Errors.Err() != nil")
	}
}

func TestWarnings(t *testing.T) {
	src := "store: {}\nchannels:\n  - name: a\n    ack_mode: none\n    source: {type: mllp}\n"
	n, err := Decode("c.yaml", []byte(src), testRoot(), testRegistry(t), stdEnv)
	if err != nil {
		t.Fatal(err)
	}
	w := n.Warnings()
	if len(w) != 1 || w[0].Error() != "c.yaml:4:5: channels[0].ack_mode: deprecated: use `ack`." {
		t.Errorf("Warnings = %v", w)
	}
}

func TestLimits(t *testing.T) {
	root := Spec{Name: "t", Fields: []Field{{Name: "v", Type: Any}}}
	// "Billion laughs": each level doubles the values through aliases.
	var b strings.Builder
	b.WriteString("x-a0: &a0 [1, 2]\n")
	for i := 1; i <= 30; i++ {
		b.WriteString("x-a" + itoa(i) + ": &a" + itoa(i) + " [*a" + itoa(i-1) + ", *a" + itoa(i-1) + "]\n")
	}
	b.WriteString("v: *a30\n")
	_, err := Decode("laughs.yaml", []byte(b.String()), root, nil, stdEnv)
	if err == nil || !strings.Contains(err.Error(), "more than 262144 values") {
		t.Errorf("billion laughs: %v", err)
	}
	deep := strings.Repeat("[", 200) + strings.Repeat("]", 200)
	_, err = Decode("deep.yaml", []byte("v: "+deep+"\n"), root, nil, stdEnv)
	if err == nil || !strings.Contains(err.Error(), "nesting deeper than 100 levels") {
		t.Errorf("deep nesting: %v", err)
	}
}

func TestDecodeInvalidRootSpec(t *testing.T) {
	_, err := Decode("c.yaml", nil, Spec{Name: "bad", Fields: []Field{{Name: "x"}}}, nil, nil)
	if err == nil || AsErrors(err) != nil {
		t.Errorf("Decode with an invalid spec = %v, want a plain error", err)
	}
	_, err = Load("testdata/does-not-exist.yaml", testRoot(), nil, nil)
	if !errors.Is(err, fs.ErrNotExist) || !strings.HasPrefix(err.Error(), "read config: ") {
		t.Errorf("Load of a missing file = %v", err)
	}
}
