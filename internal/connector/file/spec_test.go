package file

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/courier-hl7/courier/internal/config"
	"github.com/courier-hl7/courier/internal/connector"
)

func TestSpecExamples(t *testing.T) {
	reg := testRegistry(t)
	if err := reg.CheckExamples(); err != nil {
		t.Fatal(err)
	}
	// The examples also build: the constructors' own checks accept them.
	for _, tc := range []struct {
		key  string
		spec config.Spec
	}{{"source", SourceSpec()}, {"destination", DestinationSpec()}} {
		for i, ex := range tc.spec.Examples {
			n, err := decodeNode(t, tc.key, ex)
			if err != nil {
				t.Errorf("%s example %d: %v", tc.key, i+1, err)
				continue
			}
			deps := connector.Deps{BaseDir: t.TempDir(), Channel: "test"}
			if tc.key == "source" {
				_, err = NewSource(n, deps)
			} else {
				_, err = NewDestination(n, deps)
			}
			if err != nil {
				t.Errorf("%s example %d: %v", tc.key, i+1, err)
			}
		}
	}
	// The global registry has both, for the connector bundle.
	for _, c := range []string{connector.CategorySource, connector.CategoryDestination} {
		if _, ok := connector.Global().Specs().Lookup(c, "file"); !ok {
			t.Errorf("file %s not registered", c)
		}
	}
}

// TestSpecFields: every field has a description and an example, and every optional one a
// default, so that the generated docs are complete.
func TestSpecFields(t *testing.T) {
	var check func(prefix string, fields []config.Field)
	check = func(prefix string, fields []config.Field) {
		for _, f := range fields {
			name := prefix + f.Name
			if f.Description == "" || f.Example == nil {
				t.Errorf("%s: description %q, example %v", name, f.Description, f.Example)
			}
			if !f.Required && f.Default == nil && f.Type != config.Object {
				t.Errorf("%s: no default", name)
			}
			check(name+".", f.Fields)
		}
	}
	for _, s := range []config.Spec{SourceSpec(), DestinationSpec()} {
		if s.Summary == "" || s.Description == "" || len(s.Examples) == 0 {
			t.Errorf("%s: summary, description and examples are required", s.Name)
		}
		check(s.Name+" ", s.Fields)
	}
}

func TestSourceConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		yaml, err string
	}{
		{"path: in\nglob: []\n", "test.yaml:4:9: source.glob: give at least one file name pattern, like \"*.hl7\""},
		{"path: in\nglob: [\"in/*.hl7\"]\n", `test.yaml:4:9: source.glob: pattern "in/*.hl7" has a path separator: patterns match names inside the folder; put the folder in path`},
		{"path: in\nglob: [\"[a-\"]\n", `test.yaml:4:9: source.glob: pattern "[a-": syntax error in pattern`},
		{"path: in\nafter: delete\ndone_dir: archive\n", "test.yaml:5:13: source.done_dir: done_dir applies with after: move, not after: delete"},
		{"path: in\nafter: keep\nerror_dir: bad\n", "test.yaml:5:14: source.error_dir: error_dir applies with after: move or delete; with after: keep files are never moved"},
		{"path: in\ndone_dir: in\n", "test.yaml:4:13: source.done_dir: done_dir must not be the folder that is read (BASE/in)"},
		{"path: in\nafter: sometimes\n", "test.yaml:4:10: source.after: invalid value `sometimes` (allowed: `move`, `delete`, `keep`)"},
		{"path: in\npoll: 0s\n", "test.yaml:4:9: source.poll: `0s` is below the minimum 10ms"},
		{"glob: [\"*.hl7\"]\n", "test.yaml:2:3: source: missing required key `path`"},
	} {
		base := t.TempDir()
		_, err := newTestSource(t, base, tc.yaml)
		want := strings.ReplaceAll(tc.err, "BASE", base)
		if err == nil || err.Error() != want {
			t.Errorf("%q:\n got %v\nwant %s", tc.yaml, err, want)
		}
	}
}

func TestDestinationConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		yaml, err string
	}{
		{"path: \"out/{{MSH-10\"\n", "test.yaml:3:9: destination.path: the placeholder that starts at byte 5 has no closing }}"},
		{"path: out\nfile_name: \"{{PID}}.hl7\"\n", "test.yaml:4:14: destination.file_name: placeholder {{PID}} at byte 1: not a field: use an HL7 path like MSH-10, or one of id, seq, group, date:LAYOUT"},
		{"path: out\nfile_name: \"../{{MSH-10}}\"\n", "test.yaml:4:14: destination.file_name: the file name must not contain `..`: files stay inside the folder"},
		{"path: out\nfile_name: \"{{group}}.hl7\"\n", "test.yaml:4:14: destination.file_name: placeholder {{group}} at byte 1: {{group}} is not available here (use an HL7 path, {{id}}, {{seq}}, {{date}})"},
		{"path: out\ntime_zone: Mars/Olympus\n", `test.yaml:4:14: destination.time_zone: unknown time zone "Mars/Olympus": use an IANA name like Europe/Berlin, UTC or Local`},
		{"path: out\nfile_mode: \"0999\"\n", "test.yaml:4:14: destination.file_mode: `0999` does not match the pattern `^0?[0-7]{3}$`"},
		{"path: out\nexists: append\n", "test.yaml:4:11: destination.exists: invalid value `append` (allowed: `suffix`, `overwrite`, `fail`)"},
		{"path: out\nbatch:\n  schedule: \"0 25 * * *\"\n", `test.yaml:5:15: destination.batch.schedule: schedule "0 25 * * *": hour "25": 25 is outside 0-23`},
		{"path: out\nbatch:\n  schedule: \"0 0 30 2 *\"\n", `test.yaml:5:15: destination.batch.schedule: schedule "0 0 30 2 *": the schedule never fires: no month in it has the days of month it names`},
		{"path: out\nbatch:\n  schedule: \"0 0 * * * *\"\n", `test.yaml:5:15: destination.batch.schedule: schedule "0 0 * * * *": 6 fields: a schedule has 5 (minute hour day-of-month month day-of-week); seconds are not supported`},
		{"path: out\nbatch:\n  file_name: \"billing-{{date:20060102}}.hl7\"\n", "test.yaml:5:16: destination.batch.file_name: the batch file name must contain {{group}}, or {{seq}} and {{date}}, so that each batch gets its own file"},
		{"path: out\nbatch:\n  file_name: \"BILL_{{seq}}.txt\"\n", "test.yaml:5:16: destination.batch.file_name: the batch file name must contain {{group}}, or {{seq}} and {{date}}, so that each batch gets its own file"},
		{"path: out\nbatch:\n  file_name: \"{{MSH-10}}.hl7\"\n", "test.yaml:5:16: destination.batch.file_name: placeholder {{MSH-10}} at byte 1: an HL7 path is not available here (use {{date}}, {{group}}, {{seq}})"},
		{"path: \"out/{{MSH-4}}\"\nbatch: {}\n", "test.yaml:3:9: destination.path: placeholder {{MSH-4}} at byte 5: an HL7 path is not available here (use {{date}}, {{group}}, {{seq}})"},
		{"path: out\nfile_name: x.hl7\nbatch: {}\n", "test.yaml:4:14: destination.file_name: with batch, name the files with batch.file_name"},
		{"path: out\nexists: fail\nbatch: {}\n", "test.yaml:4:11: destination.exists: exists does not apply with batch: a batch file is always replaced, since a retried batch writes the same file again"},
		{"path: out\nbatch:\n  sending_application: \"A|B\"\n", `test.yaml:5:26: destination.batch.sending_application: "A|B" cannot go into FHS: hl7: set FHS-3: value cannot be set: a hierarchic designator holds the field separator '|'`},
		{"path: out\nbatch:\n  max_messages: -1\n", "test.yaml:5:19: destination.batch.max_messages: `-1` is below the minimum 0"},
	} {
		_, err := newTestDest(t, t.TempDir(), tc.yaml)
		if err == nil || err.Error() != tc.err {
			t.Errorf("%q:\n got %v\nwant %s", tc.yaml, err, tc.err)
		}
	}
}

func TestDestinationKinds(t *testing.T) {
	base := t.TempDir()
	if _, ok := mustDest(t, base, "path: out\n").(connector.Batcher); ok {
		t.Errorf("a destination without batch is a Batcher: the engine would hold its messages")
	}
	b, ok := mustDest(t, base, "path: out\nbatch: {}\n").(*batchDestination)
	if !ok {
		t.Fatalf("a destination with batch is not a batch destination")
	}
	if b.sched.expr != "0 0 * * *" || b.max != 0 || b.envelope != envelopeFile {
		t.Errorf("batch defaults: %q %d %q", b.sched.expr, b.max, b.envelope)
	}
	s := mustSource(t, base, "path: in\n")
	if s.doneDir != filepath.Join(base, "in", "done") || s.errorDir != filepath.Join(base, "in", "error") || s.after != afterMove {
		t.Errorf("source defaults: %q %q %q", s.doneDir, s.errorDir, s.after)
	}
}
