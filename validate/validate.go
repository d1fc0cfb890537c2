package validate

import (
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/courier-hl7/courier/hl7"
	"github.com/courier-hl7/courier/hl7/dict"
)

// Severity is how serious an issue is, as HL7 table 0516 has it.
type Severity uint8

// The severities. The zero Severity is not one of them: in Options it means "the default".
const (
	Error   Severity = iota + 1 // the message is not what the receiver expects
	Warning                     // worth a look; the message is still valid
	Info                        // for the record: how the message was validated
)

// String returns the HL7 table 0516 code: "E", "W" or "I".
func (s Severity) String() string {
	switch s {
	case Error:
		return "E"
	case Warning:
		return "W"
	case Info:
		return "I"
	}
	return ""
}

// Word returns the severity in English: "error", "warning" or "info".
func (s Severity) Word() string {
	switch s {
	case Error:
		return "error"
	case Warning:
		return "warning"
	case Info:
		return "info"
	}
	return ""
}

// MarshalText writes the table 0516 code, so that JSON shows "E", "W" or "I".
func (s Severity) MarshalText() ([]byte, error) {
	if s.String() == "" {
		return nil, fmt.Errorf("validate: severity %d is not E, W or I", s)
	}
	return []byte(s.String()), nil
}

// ParseSeverity reads "error", "warning" or "info", or the codes E, W and I, in any case.
func ParseSeverity(s string) (Severity, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "e", "error":
		return Error, nil
	case "w", "warning", "warn":
		return Warning, nil
	case "i", "info", "information":
		return Info, nil
	}
	return 0, fmt.Errorf("severity %q: use error, warning or info", s)
}

// The kinds of rule an issue comes from, found in Issue.Rule.
const (
	RuleStructure   = "structure"   // segment order, groups, unexpected and missing segments
	RuleCardinality = "cardinality" // a segment, group or field repeated more (or less) than allowed
	RuleRequired    = "required"    // a required field, component or segment is empty or missing
	RuleLength      = "length"      // a value longer than its maximum length
	RuleDataType    = "datatype"    // a value that is not well formed for its data type
	RuleTable       = "table"       // a code that is not in its table
	RuleProfile     = "profile"     // what only a conformance profile says: X (not supported), constants, which profile applies
	RuleCustom      = "custom"      // a rule from a rules file
	RuleVersion     = "version"     // which definitions were used
)

// Issue is one problem found in a message.
type Issue struct {
	Severity Severity
	// Code is an HL7 table 0357 error condition code (hl7.ErrCode...): 100 segment sequence,
	// 101 required field missing, 102 data type, 103 table value, 104 value too long (v2.7 and
	// later; 102 before), 200/201 unsupported message type/event, 203 unsupported version.
	Code string
	// Path is where the problem is, as precisely as it is known: a segment (PID), a field
	// (PID-3), a repetition and component (PID-3[2].1). Occurrence is set when the message
	// holds more than one segment of that name, Repetition when the field holds more than
	// one repetition. For a missing segment it names the segment that is missing.
	Path hl7.Path
	// Segment is the position of the segment in the message, from 0; for a segment missing
	// at the end of the message, the number of segments; -1 when the issue is about the
	// message as a whole.
	Segment int
	// Offset is the byte offset of the problem in the message's text, or -1 when unknown.
	Offset int
	// Message says what is wrong, where, and what was expected, for a person.
	Message string
	// Rule is the kind of rule that found the issue: RuleStructure, RuleRequired...
	Rule string
	// Source is where the rule was written, for rules from files: "rules.yaml:12" or
	// "adt-a01.xml:40". It is empty for the standard's own definitions.
	Source string
}

// String returns the issue on one line: severity, code, path, position and message.
func (i Issue) String() string {
	var b strings.Builder
	b.WriteString(i.Severity.String())
	b.WriteByte(' ')
	b.WriteString(i.Code)
	if i.Path.Segment != "" {
		b.WriteByte(' ')
		b.WriteString(i.Path.String())
	}
	if i.Offset >= 0 {
		b.WriteString(" @")
		b.WriteString(strconv.Itoa(i.Offset))
	}
	b.WriteString(": ")
	b.WriteString(i.Message)
	return b.String()
}

// Result is what Validate found.
type Result struct {
	// Version is the version whose definitions were used: MSH-12, Options.Version, or the
	// profile's version; or the version fallen back to.
	Version string
	// FellBack is true when the version asked for has no definitions and Version was used
	// instead: a 2.8 message is validated as 2.7.1. An Info issue says so too.
	FellBack bool
	// Structure is the message structure the segments were matched against (ADT_A01), or ""
	// when the version has none for the message's type and event.
	Structure string
	// Profile names the conformance profile applied, or "".
	Profile string
	// Issues come in this order: those about the message as a whole (version, structure,
	// profile); then segment by segment, its place in the structure and then its fields;
	// then what is missing at the end; then custom rules, rule by rule.
	Issues []Issue
}

// Valid reports whether no issue has severity Error.
func (r Result) Valid() bool {
	for i := range r.Issues {
		if r.Issues[i].Severity == Error {
			return false
		}
	}
	return true
}

// Count returns how many issues have severity s.
func (r Result) Count(s Severity) int {
	n := 0
	for i := range r.Issues {
		if r.Issues[i].Severity == s {
			n++
		}
	}
	return n
}

// AckErrors turns the issues into the errors of an acknowledgement (hl7.AckOptions.Errors):
// one ERR segment (v2.5+) or ERR-1 repetition (before) per issue, with its location, table
// 0357 code, severity and message.
func (r Result) AckErrors() []hl7.AckError {
	if len(r.Issues) == 0 {
		return nil
	}
	out := make([]hl7.AckError, 0, len(r.Issues))
	for _, is := range r.Issues {
		out = append(out, hl7.AckError{Location: is.Path, Code: is.Code, Severity: is.Severity.String(), Text: is.Message})
	}
	return out
}

// Options say what to validate against. The zero Options validate against the standard only,
// as the version in MSH-12.
type Options struct {
	// Version validates every message as this version instead of its MSH-12 ("2.5.1").
	Version string
	// Profiles are conformance profiles (LoadProfile). A message is validated against the
	// profile whose identifier is in its MSH-21, or else the first whose message type and
	// event match MSH-9; when profiles are given and none applies, that is an error.
	Profiles []*Profile
	// Rules are custom rules (LoadRules, ParseRules), applied to every message they name.
	Rules []*Rules
	// Tables are user tables (LoadTables, TableSet): a table here replaces the HL7 table of
	// the same id, and a code missing from it is always an error.
	Tables *TableSet
	// LengthSeverity is how a value longer than its maximum length is reported: Warning (the
	// default; the zero value) or Error.
	LengthSeverity Severity
	// TableSeverity is how a code missing from an HL7 table is reported: Warning (the
	// default) or Error. The tables Courier has are one set for all versions, and many are
	// user-defined tables with suggested values only, so a miss is not an error by default.
	TableSeverity Severity
	// RejectZSegments reports Z-segments that neither the structure nor a profile names as
	// unexpected. By default they are tolerated anywhere after MSH, as if they belonged to
	// the group they follow (HAPI's ADD_INLINE); their fields are not checked.
	RejectZSegments bool
}

// Validator validates messages. It is safe for concurrent use.
type Validator struct {
	opts     Options
	lenSev   Severity
	tableSev Severity
	profiles []*compiledProfile
	rules    []*compiledRule
	versions sync.Map // dict version name → *versionEntry
	scratch  sync.Pool

	userMu     sync.Mutex
	userTables map[string]*tableRef // user tables as sets, built once
}

type versionEntry struct {
	once sync.Once
	spec *vspec
}

// New checks the options and compiles the profiles and rules. The definitions of each HL7
// version are compiled when the first message of that version is validated (a few
// milliseconds), or here for the versions of the profiles.
func New(opts Options) (*Validator, error) {
	v := &Validator{opts: opts, lenSev: opts.LengthSeverity, tableSev: opts.TableSeverity}
	if v.lenSev == 0 {
		v.lenSev = Warning
	}
	if v.tableSev == 0 {
		v.tableSev = Warning
	}
	for _, s := range []Severity{v.lenSev, v.tableSev} {
		if s != Error && s != Warning && s != Info {
			return nil, fmt.Errorf("validate: severity %d is not Error, Warning or Info", s)
		}
	}
	if opts.Version != "" {
		if _, err := strconv.Atoi(strings.ReplaceAll(strings.TrimSpace(opts.Version), ".", "")); err != nil {
			return nil, fmt.Errorf("validate: version %q: write it as in MSH-12, like 2.5.1", opts.Version)
		}
	}
	var errs []error
	for _, p := range opts.Profiles {
		if p == nil {
			continue
		}
		cp, err := v.compileProfile(p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		v.profiles = append(v.profiles, cp)
	}
	for _, rs := range opts.Rules {
		if rs == nil {
			continue
		}
		for _, r := range rs.rules {
			cr := &compiledRule{rule: r, tableRef: v.userTable(r.table)}
			if r.table != "" && cr.tableRef == nil && !numericID(r.table) {
				errs = append(errs, fmt.Errorf("%s: table %s is not an HL7 table and no user table has that id: load it (Options.Tables, --tables)", r.src, r.table))
			}
			v.rules = append(v.rules, cr)
		}
	}
	if len(errs) > 0 {
		return nil, joinErrors(errs)
	}
	v.scratch.New = func() any { return new(scratch) }
	return v, nil
}

// spec returns the compiled definitions of d, compiling them on first use.
func (v *Validator) spec(d *dict.Version) *vspec {
	e, ok := v.versions.Load(d.Name)
	if !ok {
		e, _ = v.versions.LoadOrStore(d.Name, &versionEntry{})
	}
	ve := e.(*versionEntry)
	ve.once.Do(func() { ve.spec = newVspec(d, v) })
	return ve.spec
}

// Validate checks m and returns what it found. It never modifies m.
func (v *Validator) Validate(m *hl7.Message) Result {
	sc := v.scratch.Get().(*scratch)
	r := run{v: v, m: m, sc: sc}
	r.validate()
	res := r.res
	sc.reset()
	v.scratch.Put(sc)
	return res
}
