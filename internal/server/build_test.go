package server

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/courier-hl7/courier/hl7"
	"github.com/courier-hl7/courier/internal/connector"
	_ "github.com/courier-hl7/courier/internal/connector/all"
)

var update = flag.Bool("update", false, "rewrite the .errors files of the bad configurations")

// TestConfigs loads every testdata/*.good.yaml (no error) and *.bad.yaml (exactly the errors
// in the matching .errors file, all at once, with file:line:col).
func TestConfigs(t *testing.T) {
	good, _ := filepath.Glob("testdata/*.good.yaml")
	bad, _ := filepath.Glob("testdata/*.bad.yaml")
	if len(good) == 0 || len(bad) == 0 {
		t.Fatal("no test configurations")
	}
	for _, f := range good {
		p, err := Load(LoadOptions{File: f, Env: connector.Global()})
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		Close(p)
	}
	for _, f := range bad {
		_, err := Load(LoadOptions{File: f, Env: connector.Global()})
		if err == nil {
			t.Errorf("%s: no error", f)
			continue
		}
		want := strings.TrimSuffix(f, ".yaml") + ".errors"
		if *update {
			_ = os.WriteFile(want, []byte(err.Error()+"\n"), 0o644)
			continue
		}
		b, rerr := os.ReadFile(want)
		if rerr != nil {
			t.Fatalf("%v (run with -update to create it)", rerr)
		}
		if got := err.Error() + "\n"; got != string(b) {
			t.Errorf("%s errors:\n%s\nwant:\n%s", f, got, b)
		}
	}
}

func TestLoadBuildsChannels(t *testing.T) {
	p, err := Load(LoadOptions{File: "testdata/full.good.yaml", Env: connector.Global()})
	if err != nil {
		t.Fatal(err)
	}
	defer Close(p)
	s := p.Settings
	if s.NodeID != "courier-test" || s.DataDir != filepath.Join("testdata", "data") || s.StorePath != filepath.Join("testdata", "data", "courier.db") || s.PruneContent.Hours() != 720 {
		t.Errorf("settings %+v", s)
	}
	if len(p.Channels) != 2 || len(p.Disabled) != 1 || p.Disabled[0] != "disabled" {
		t.Fatalf("channels %d, disabled %v", len(p.Channels), p.Disabled)
	}
	c := p.Channels[0]
	if c.Name != "adt-in" || c.DedupeWindow.Hours() != 12 || c.Parser.Charset != "8859/1" || c.Validator == nil || c.Processor == nil || len(c.Destinations) != 2 {
		t.Errorf("channel %+v", c)
	}
	d := c.Destinations[0]
	if d.OrderBy == nil || d.OrderBy.String() != "PID-3.1" || d.Retry.MaxAttempts != 20 || !d.Retry.MoveOn || d.Retry.Initial.Milliseconds() != 500 {
		t.Errorf("destination %+v", d)
	}
	// Validation rejects what 2.5.1 forbids: an ADT^A01 without PID-3 and PV1.
	m, _ := hl7.Parse([]byte("MSH|^~\\&|A|B|C|D|20260101||ADT^A01^ADT_A01|1|P|2.5.1\rEVN|A01|20260101\rPID|1\r"))
	if errs := c.Validator.Validate(m); len(errs) == 0 {
		t.Error("an invalid ADT^A01 passed validation")
	}
	// A version change of one channel leaves the other's fingerprint alone.
	p2, err := Load(LoadOptions{File: "testdata/full.good.yaml", Env: connector.Global()})
	if err != nil {
		t.Fatal(err)
	}
	defer Close(p2)
	if p2.Channels[0].Version != c.Version || p2.Channels[1].Version == c.Version {
		t.Error("channel fingerprints are not stable per channel")
	}
}

func TestDefaultConfiguration(t *testing.T) {
	p, err := Load(LoadOptions{Env: connector.Global()})
	if err != nil {
		t.Fatal(err)
	}
	defer Close(p)
	if len(p.Channels) != 1 || p.Channels[0].Source == nil || p.Settings.StorePath != filepath.Join("courier-data", "courier.db") {
		t.Errorf("default: %+v", p)
	}
}
