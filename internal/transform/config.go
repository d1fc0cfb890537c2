package transform

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/courier-hl7/courier/hl7"
	"github.com/courier-hl7/courier/internal/config"
)

// CategoryStep is the registry category of step kinds.
const CategoryStep = "step"

// Keys of the processing part of a channel or a destination, and of the steps.
const (
	keyFilter     = "filter"
	keySteps      = "steps"
	keyTables     = "tables"
	keyName       = "name"
	keyWhen       = "when"
	keyPath       = "path"
	keyPaths      = "paths"
	keyValue      = "value"
	keyFrom       = "from"
	keyTo         = "to"
	keyExpr       = "expr"
	keyRaw        = "raw"
	keyTable      = "table"
	keyValues     = "values"
	keyDefault    = "default"
	keyOnMissing  = "on_missing"
	keyIgnore     = "ignore_case"
	keyFile       = "file"
	keyAction     = "action"
	keySegment    = "segment"
	keyRepetition = "repetition"
	keyText       = "text"
	keyAfter      = "after"
	keyBefore     = "before"
	keyInto       = "into"
	keyFields     = "fields"
	keyKeep       = "keep"
	keyOrder      = "order"
	keyDate       = "date"
	keyPrecision  = "precision"
	keyZone       = "zone"
	keyInZone     = "input_zone"
	keyNameFmt    = "person_name"
	keyCase       = "case"
	keyPhone      = "phone"
	keyPattern    = "pattern"
	keyCountry    = "country"
	keyID         = "id"
	keyStrip      = "strip"
	keyPad        = "pad"
	keyPadWith    = "pad_with"
	keyAuthority  = "authority"
	keyTypeCode   = "type_code"
	keyTrim       = "trim"
	keyMax        = "max"
	keyOnError    = "on_error"
	keyLeading    = "leading"
	keySuffix     = "suffix"
	keyTemplate   = "template"
	keyReplace    = "replace"
	keyRules      = "rules"
	keyAll        = "all"
	keySource     = "source"
	keyTimeout    = "timeout"
	keyMaxMemory  = "max_memory"
	keyFormat     = "format"
	keyNames      = "names"
	keyFlat       = "flat"
	keyVersion    = "version"
)

// Fields returns the keys a channel or a destination declares for its processing: filter,
// steps and tables. The engine's root spec adds them to both.
func Fields() []config.Field {
	return []config.Field{
		{Name: keyFilter, Type: config.String, Default: "", Description: "An expression (docs/transform.md): messages for which it is false are stored as FILTERED and, on a channel, acknowledged AA.", Example: `MSH["9.1"] == "ADT" && PV1["2"] in ["I", "E"]`},
		{Name: keyTables, Type: config.Map, Description: "Lookup tables for `map` steps and `lookup()`, by name: a CSV file (read again when it changes) or inline values.", Elem: &config.Field{Type: config.Object, Fields: tableFields()}},
		{Name: keySteps, Type: config.List, Description: "Transform steps, run in order on each message (docs/transform.md).", Elem: stepElem()},
	}
}

func stepElem() *config.Field {
	return &config.Field{Type: config.Plugin, Category: CategoryStep, Fields: []config.Field{
		{Name: keyName, Type: config.String, Default: "", Description: "A name shown in errors and logs."},
		{Name: keyWhen, Type: config.String, Default: "", Description: "An expression: the step runs only on messages for which it is true.", Example: `exists("ZPI-1")`},
	}}
}

func tableFields() []config.Field {
	return []config.Field{
		{Name: keyFile, Type: config.String, Default: "", Description: "A CSV file with a header row, relative to the configuration's directory.", Example: "tables/loinc.csv"},
		{Name: keyFrom, Type: config.String, Default: "", Description: "The key column's header; default the first column."},
		{Name: keyTo, Type: config.String, Default: "", Description: "The value column's header; default the second column."},
		{Name: keyValues, Type: config.Map, Elem: &config.Field{Type: config.String}, Description: "Inline entries, instead of a file."},
		{Name: keyIgnore, Type: config.Bool, Default: false, Description: "Match keys without regard to case."},
	}
}

// Specs returns the spec of every step kind.
func Specs() []config.Spec {
	str := func(name, desc string, ex any) config.Field {
		return config.Field{Name: name, Type: config.String, Default: "", Description: desc, Example: ex}
	}
	req := func(name, desc string, ex any) config.Field {
		return config.Field{Name: name, Type: config.String, Required: true, Description: desc, Example: ex}
	}
	fieldMap := config.Field{Name: keyFields, Type: config.Map, Elem: &config.Field{Type: config.Int}, Description: "Source field number: target field number."}
	return []config.Spec{
		{Name: "set", Summary: "Writes a value at a path.", Description: "Give one of `value` (literal text), `from` (the value at another path, copied as encoded) or `expr` (an expression). Text is escaped unless `raw`. A path with [*] writes at every position it names.",
			Fields: []config.Field{req(keyPath, "Where to write: PID-5.1, OBX[*]-3.1, PID-3[*].4.", "PID-5.1"), str(keyValue, "Literal text.", "DOE"), str(keyFrom, "A path to copy from.", "PID-3.1"), str(keyExpr, "An expression.", `upper(PID["5.1"])`),
				{Name: keyRaw, Type: config.Bool, Default: false, Description: "Write value or expr as already encoded (DOE^JOHN sets two components)."}},
			Examples: []string{"path: PID-5.1\nexpr: upper(PID[\"5.1\"])\n", "path: MSH-5\nvalue: EHR\n"}},
		{Name: "copy", Summary: "Copies the value at one path to another, as encoded.", Fields: []config.Field{req(keyFrom, "Source path.", "PV1-3.1"), req(keyTo, "Target path.", "PV1-3.4")},
			Examples: []string{"from: OBX[*]-3.1\nto: OBX[*]-3.4\n"}},
		{Name: "move", Summary: "Copies the value at one path to another and deletes the source.", Fields: []config.Field{req(keyFrom, "Source path.", "ZPI-1"), req(keyTo, "Target path.", "PID-30")},
			Examples: []string{"from: PID-19\nto: PID-3[2].1\n"}},
		{Name: "delete", Summary: "Deletes fields, components, repetitions or segments.", Fields: []config.Field{str(keyPath, "One path.", "PID-19"),
			{Name: keyPaths, Type: config.List, Elem: &config.Field{Type: config.String}, Description: "Several paths."}},
			Examples: []string{"path: ZPI[*]\n", "paths: [PID-19, PID-27]\n"}},
		{Name: "map", Summary: "Translates values through a lookup table.", Fields: []config.Field{req(keyPath, "The values to translate.", "OBX[*]-3.1"),
			str(keyTable, "A table under tables:, or a .csv file.", "loinc"), {Name: keyValues, Type: config.Map, Elem: &config.Field{Type: config.String}, Description: "Inline entries, instead of a table."},
			{Name: keyIgnore, Type: config.Bool, Default: false, Description: "With values: match keys without regard to case."},
			str(keyTo, "Where to write the result; default over the value read.", "OBX[*]-3.4"), str(keyDefault, "Written for values the table does not have (on_missing: default).", "UNKNOWN"),
			{Name: keyOnMissing, Type: config.String, Default: "", Enum: []string{"", MissingKeep, MissingDefault, MissingFail}, Description: "A value the table does not have: keep it, write the default, or fail the message. Default: `default` when a default is given, else `keep`."}},
			Examples: []string{"path: OBX[*]-3.1\ntable: loinc\non_missing: error\n", "path: PV1-3.1\nvalues: {W1: 4NORTH, W2: 5SOUTH}\ndefault: UNKNOWN\n"}},
		{Name: "segment", Summary: "Adds, removes, moves, renames, merges or orders segments.", Fields: []config.Field{
			{Name: keyAction, Type: config.String, Required: true, Enum: []string{"add", "remove", "move", "rename", "merge", "order"}, Description: "What to do."},
			str(keySegment, "The segment(s) acted on: ZPI, ZPI[2], ZPI[*].", "ZPI"), str(keyText, "add: the new segment, with {{path}} and {{= expr}} placeholders.", "ZPI|1|{{PID-3.1}}"),
			str(keyAfter, "add, move: after this segment (PID, OBX[*]).", "PID"), str(keyBefore, "add, move: before this segment.", "PV1"),
			str(keyTo, "rename: the new name.", "ZP1"), str(keyInto, "merge: the segment receiving the fields.", "PID"), fieldMap,
			{Name: keyKeep, Type: config.Bool, Default: false, Description: "merge: keep the merged segment."},
			{Name: keyOrder, Type: config.List, Elem: &config.Field{Type: config.String}, Description: "order: segment names in their new order."}},
			Examples: []string{"action: add\ntext: \"ZPI|1|{{PID-3.1}}\"\nafter: PID\n", "action: merge\nsegment: ZPI\ninto: PID\nfields: {1: 30}\n", "action: order\norder: [MSH, EVN, PID, PV1]\n"}},
		{Name: "format", Summary: "Standardizes dates, names, phone numbers, identifiers or text.", Fields: []config.Field{req(keyPath, "The values to format.", "PID-7"),
			{Name: keyDate, Type: config.Object, Description: "Dates and times.", Fields: []config.Field{str(keyFrom, "Pattern read; default HL7.", "MM/DD/YYYY"), str(keyTo, "Pattern written; default HL7.", "YYYY-MM-DD"), str(keyPrecision, "Cut or extend an HL7 value: year ... millisecond.", "day"), str(keyZone, "Convert to this zone.", "America/Chicago"), str(keyInZone, "Zone of values without an offset; default UTC.", "Europe/Paris")}},
			{Name: keyNameFmt, Type: config.Object, Description: "Person names (XPN).", Fields: []config.Field{str(keyCase, "upper, lower or title.", "upper"), {Name: keyOrder, Type: config.List, Elem: &config.Field{Type: config.Int}, Description: "Components by number in their new order."}}},
			{Name: keyPhone, Type: config.Object, Description: "Phone numbers.", Fields: []config.Field{str(keyPattern, "One # per digit; empty writes digits only.", "(###) ###-####"), str(keyCountry, "A country code to drop.", "1")}},
			{Name: keyID, Type: config.Object, Description: "Identifiers (CX).", Fields: []config.Field{str(keyStrip, "Characters to remove from the left.", "0"), {Name: keyPad, Type: config.Int, Default: 0, Min: config.Bound(0), Max: config.Bound(maxPad), Description: "Pad on the left to this width."}, str(keyPadWith, "Padding character; default 0.", "0"), str(keyAuthority, "Assigning authority (CX-4).", "HOSP"), str(keyTypeCode, "Identifier type (CX-5).", "MR")}},
			{Name: keyText, Type: config.Object, Description: "Free text.", Fields: []config.Field{str(keyCase, "upper, lower or title.", "upper"), {Name: keyTrim, Type: config.Bool, Default: false, Description: "Remove spaces at both ends."}, {Name: keyMax, Type: config.Int, Default: 0, Min: config.Bound(0), Description: "Truncate to this many characters."}}},
			{Name: keyOnError, Type: config.String, Default: "error", Enum: []string{"error", "keep", "empty"}, Description: "A value that cannot be read: fail the message, keep it, or empty it."}},
			Examples: []string{"path: PID-7\ndate: {precision: day}\n", "path: PID-13[*].1\nphone: {pattern: \"(###) ###-####\", country: \"1\"}\non_error: keep\n", "path: PID-5\nperson_name: {case: title}\n"}},
		{Name: "split", Summary: "Makes one message per segment group (one ORU per OBR), or per repetition of a field (one per PID-3 identifier).", Fields: []config.Field{str(keySegment, "The segment that starts each part (give this or repetition).", "OBR"),
			{Name: keyLeading, Type: config.List, Elem: &config.Field{Type: config.String}, Description: "Segments that belong to the part of the segment they precede (ORC)."},
			str(keyRepetition, "A field (PID-3, IN1[2]-3): one message per non-empty repetition, each holding only that repetition there (give this or segment).", "PID-3"),
			str(keySuffix, "Appended to MSH-10 of each part, {n} being its number; default -{n}; none keeps MSH-10.", "-{n}")},
			Examples: []string{"segment: OBR\nleading: [ORC]\n", "repetition: PID-3\n"}},
		{Name: "build", Summary: "Makes a new message from a template.", Fields: []config.Field{req(keyTemplate, "ER7, one segment per line, with {{path}} and {{= expr}} placeholders.", "MSH|^~\\&|COURIER|{{MSH-4}}|||{{= now()}}||ADT^A08|{{MSH-10}}-A08|P|2.5.1\nPID|{{PID}}"),
			{Name: keySteps, Type: config.List, Elem: stepElem(), Description: "Steps run on the new message."},
			{Name: keyReplace, Type: config.Bool, Default: false, Description: "The new message replaces the one it was built from, instead of being added."},
			{Name: keyTo, Type: config.List, Elem: &config.Field{Type: config.String}, Description: "Destinations of the new message; default those of the original."}},
			Examples: []string{"template: |\n  MSH|^~\\&|COURIER|LAB|ADT|HOSP|{{= now()}}||ADT^A08^ADT_A01|{{MSH-10}}A08|P|2.5.1\n  EVN|A08|{{= now()}}\n  {{PID}}\n  {{PV1}}\nto: [ehr]\n"}},
		{Name: "route", Summary: "Chooses destinations by expression.", Fields: []config.Field{
			{Name: keyRules, Type: config.List, Required: true, Description: "Rules in order: the first whose `when` is true (or every one, with all) gives the destinations.", Elem: &config.Field{Type: config.Object, Fields: []config.Field{
				str(keyWhen, "An expression; empty is always true.", `MSH["9.1"] == "ADT"`),
				{Name: keyTo, Type: config.List, Required: true, Elem: &config.Field{Type: config.String}, Description: "Destination names."}}}},
			{Name: keyDefault, Type: config.List, Elem: &config.Field{Type: config.String}, Description: "Destinations when no rule matches; none: the message is delivered nowhere."},
			{Name: keyAll, Type: config.Bool, Default: false, Description: "Use every matching rule, not only the first."}},
			Examples: []string{"rules:\n  - when: MSH[\"9.1\"] == \"ADT\"\n    to: [ehr, billing]\n  - to: [archive]\n"}},
		{Name: "filter", Summary: "Stops messages (or parts of a split) for which an expression is false.", Fields: []config.Field{req(keyExpr, "The condition.", `OBR["25"] == "F"`)},
			Examples: []string{"expr: OBR[\"25\"] == \"F\"\n"}},
		{Name: "script", Summary: "Runs JavaScript with the msg, tables, log and channel API.", Fields: []config.Field{str(keySource, "The script.", "msg.set(\"PID-5.1\", msg.get(\"PID-5.1\").toUpperCase());"), str(keyFile, "A .js file instead of source, relative to the configuration's directory.", "scripts/fix.js"),
			{Name: keyTimeout, Type: config.Duration, Default: "100ms", Min: config.Bound(0.001), Max: config.Bound(60), Description: "Longest run on one message."},
			{Name: keyMaxMemory, Type: config.Size, Default: "16MiB", Min: config.Bound(1 << 16), Description: "Memory guard per run (docs/transform.md says what it covers)."}},
			Examples: []string{"source: |\n  for (const obx of msg.segments(\"OBX\")) {\n    obx.set(\"3.1\", tables.lookup(\"loinc\", obx.get(\"3.1\"), obx.get(\"3.1\")));\n  }\n"}},
		{Name: "encode", Summary: "Turns the message into JSON or XML for a destination that wants them.", Fields: []config.Field{
			{Name: keyFormat, Type: config.String, Required: true, Enum: []string{"json", "xml", "er7"}, Description: "The encoding (docs/hl7json.md)."},
			{Name: keyNames, Type: config.Bool, Default: false, Description: "json: add the dictionary's field names."},
			{Name: keyFlat, Type: config.Bool, Default: false, Description: "xml: no group elements."},
			str(keyVersion, "Dictionary version; default MSH-12.", "2.5.1")},
			Examples: []string{"format: json\n"}},
		{Name: "fhir", Summary: "Converts the message to a FHIR R4 Bundle (application/fhir+json) for a destination that wants FHIR.",
			Description: "The conversion follows the HL7 v2-to-FHIR Implementation Guide (docs/fhir.md lists the message types and what is mapped). " +
				"It belongs last in a destination's steps: an HTTP or file destination then sends the Bundle's JSON, and the FHIR destination posts it as it is. " +
				"A message of a type the converter does not map fails the step, and so its delivery, with an error that names the types it maps.",
			Fields:   FHIRFields(),
			Examples: []string{"bundle: transaction\ntime_zone: Europe/Paris\nidentifier_systems:\n  GH: http://hospital.example.org/mrn\n"}},
	}
}

// Register adds the step kinds to reg under CategoryStep.
func Register(reg *config.Registry) error {
	for _, s := range Specs() {
		if err := reg.Register(CategoryStep, s); err != nil {
			return err
		}
	}
	return nil
}

// FromConfig builds the pipeline of a channel or a destination from its node, which declares
// Fields(). Problems are returned together as config.Errors, each at its position: a bad
// path or option at the step, an expression that does not compile at its key, a script's
// syntax error at its source (with the script's own line and column in the message).
func FromConfig(n *config.Node, deps Deps) (*Pipeline, error) {
	var errs config.Errors
	if deps.Tables == nil {
		// One set for the tables: section and the steps; it logs reloads.
		deps.Tables = newCompiler(&deps).tables
	}
	for _, name := range n.MapKeys(keyTables) {
		t := n.Map(keyTables)[name]
		def := TableDef{File: t.String(keyFile), From: t.String(keyFrom), To: t.String(keyTo), IgnoreCase: t.Bool(keyIgnore)}
		if t.Has(keyValues) {
			def.Values = t.StringMap(keyValues)
		}
		if err := deps.Tables.Define(name, def); err != nil {
			errs = append(errs, t.Errorf("", "%v", err))
		}
	}
	steps, nodes, serrs := stepsFromConfig(n.List(keySteps), deps)
	errs = append(errs, serrs...)
	// The steps that could be built are compiled too, so that one run reports every problem.
	p, err := NewPipeline(deps, n.String(keyFilter), steps...)
	if err != nil {
		errs = append(errs, pipelineErrors(n, nodes, err)...)
	}
	if len(errs) > 0 {
		return nil, errs.Err()
	}
	return p, nil
}

// stepsFromConfig builds steps, returning the node of each for error positions.
func stepsFromConfig(list []*config.Node, deps Deps) ([]Step, []*config.Node, config.Errors) {
	var errs config.Errors
	var steps []Step
	var nodes []*config.Node
	encodedAs := "" // json or xml once an encode step made the body, until one back to er7
	for _, sn := range list {
		if sn == nil {
			continue // an unknown kind, already reported by the decoder
		}
		switch kind := sn.Kind(); {
		case kind == "fhir":
			encodedAs = "FHIR JSON"
		case kind == "encode":
			encodedAs = sn.String(keyFormat)
			if encodedAs == "er7" {
				encodedAs = ""
			}
		case encodedAs != "" && kind != "route" && kind != "filter":
			errs = append(errs, sn.Errorf("", "a %s step after the step that made the body %s would edit the HL7 message, not that body: put it before that step", kind, encodedAs))
			continue
		}
		s, err := stepFromConfig(sn, deps)
		if err != nil {
			var se *ScriptError
			if errors.As(err, &se) && config.AsErrors(err) == nil {
				key := keySource
				if !sn.Has(keySource) {
					key = keyFile
				}
				errs = append(errs, sn.Errorf(key, "%v", err))
				continue
			}
			var pe *hl7.PathError
			if errors.As(err, &pe) && config.AsErrors(err) == nil {
				if key := keyHolding(sn, pe.Path); key != "" {
					errs = append(errs, sn.Errorf(key, "%v", err)) // at the bad path, not the step
					continue
				}
			}
			errs = append(errs, asConfigErrors(sn, err)...)
			continue
		}
		Named(sn.String(keyName), s)
		When(sn.String(keyWhen), s)
		steps = append(steps, s)
		nodes = append(nodes, sn)
	}
	return steps, nodes, errs
}

// keyHolding returns the key of the step whose text is value, in the order of the step's
// keys, or "" when none is.
func keyHolding(sn *config.Node, value string) string {
	m, ok := sn.Value().(map[string]any)
	if !ok {
		return ""
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if v, ok := m[k].(string); ok && v == value {
			return k
		}
	}
	return ""
}

func asConfigErrors(n *config.Node, err error) config.Errors {
	if es := config.AsErrors(err); es != nil {
		return es
	}
	return config.Errors{n.Errorf("", "%v", err)}
}

// pipelineErrors places the errors of NewPipeline at the steps (and keys) they concern.
func pipelineErrors(n *config.Node, nodes []*config.Node, err error) config.Errors {
	var list []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		list = j.Unwrap()
	} else {
		list = []error{err}
	}
	var errs config.Errors
	for _, e := range list {
		var se *StepError
		if !errors.As(e, &se) {
			errs = append(errs, n.Errorf("", "%v", e))
			continue
		}
		if se.Index == 0 {
			errs = append(errs, n.Errorf(keyFilter, "%v", se.Err))
			continue
		}
		if se.Index > len(nodes) {
			errs = append(errs, n.Errorf(keySteps, "%v", se))
			continue
		}
		sn := nodes[se.Index-1]
		key := ""
		var ee *ExprError
		var sc *ScriptError
		switch {
		case len(se.Err.Error()) > 5 && se.Err.Error()[:5] == "when:":
			key = keyWhen
		case errors.As(se.Err, &sc) && sn.Kind() == "script":
			if sn.Has(keySource) {
				key = keySource
			} else {
				key = keyFile
			}
		case errors.As(se.Err, &ee) && hasKey(sn, keyExpr):
			key = keyExpr
		case errors.As(se.Err, &ee) && sn.Kind() == "segment":
			key = keyText
		case errors.As(se.Err, &ee) && sn.Kind() == "build":
			key = keyTemplate
		case sn.Kind() == "route":
			key = keyRules
		case errors.Is(se.Err, ErrNoTable) && sn.Kind() == "map":
			key = keyTable
		}
		errs = append(errs, sn.Errorf(key, "%v", se.Err))
	}
	return errs
}

// hasKey reports whether the step's spec declares key and the file gives it.
func hasKey(sn *config.Node, key string) bool {
	switch sn.Kind() {
	case "set", "filter":
		return sn.Has(key)
	}
	return false
}

// stepFromConfig maps one step's node to its constructor.
func stepFromConfig(sn *config.Node, deps Deps) (Step, error) {
	switch sn.Kind() {
	case "set":
		v := Value{Text: sn.String(keyValue), Path: sn.String(keyFrom), Expr: sn.String(keyExpr), Raw: sn.Bool(keyRaw)}
		given := 0
		for _, k := range []string{keyValue, keyFrom, keyExpr} {
			if sn.Has(k) {
				given++
			}
		}
		if given != 1 {
			return nil, sn.Errorf("", "give exactly one of value, from and expr")
		}
		return Set(sn.String(keyPath), v)
	case "copy":
		return Copy(sn.String(keyFrom), sn.String(keyTo))
	case "move":
		return Move(sn.String(keyFrom), sn.String(keyTo))
	case "delete":
		paths := sn.Strings(keyPaths)
		if p := sn.String(keyPath); p != "" {
			paths = append([]string{p}, paths...)
		}
		return Delete(paths...)
	case "map":
		o := MapOptions{Table: sn.String(keyTable), To: sn.String(keyTo), Default: sn.String(keyDefault), OnMissing: sn.String(keyOnMissing), IgnoreCase: sn.Bool(keyIgnore)}
		if sn.Has(keyValues) {
			o.Values = sn.StringMap(keyValues)
		}
		return Map(sn.String(keyPath), o)
	case "segment":
		return segmentFromConfig(sn)
	case "format":
		return formatFromConfig(sn)
	case "split":
		st, err := Split(SplitOptions{Segment: sn.String(keySegment), Leading: sn.Strings(keyLeading), Repetition: sn.String(keyRepetition), Suffix: sn.String(keySuffix)})
		if err != nil {
			key := "" // both or neither given: the step
			if sn.Has(keyRepetition) != sn.Has(keySegment) {
				key = keySegment
				if sn.Has(keyRepetition) {
					key = keyRepetition
				}
			}
			return nil, sn.Errorf(key, "%v", err)
		}
		return st, nil
	case "build":
		steps, _, errs := stepsFromConfig(sn.List(keySteps), deps)
		if len(errs) > 0 {
			return nil, errs
		}
		o := BuildOptions{Template: sn.String(keyTemplate), Steps: steps, Replace: sn.Bool(keyReplace)}
		if sn.Has(keyTo) {
			o.Destinations = sn.Strings(keyTo)
		}
		return Build(o)
	case "route":
		var o RouteOptions
		for _, rn := range sn.List(keyRules) {
			o.Rules = append(o.Rules, RouteRule{When: rn.String(keyWhen), To: rn.Strings(keyTo)})
		}
		if sn.Has(keyDefault) {
			o.Default = sn.Strings(keyDefault)
		}
		o.All = sn.Bool(keyAll)
		return Route(o)
	case "filter":
		return Filter(sn.String(keyExpr))
	case "script":
		o := ScriptOptions{Source: sn.String(keySource), Timeout: sn.Duration(keyTimeout), MaxMemory: int(sn.Size(keyMaxMemory))}
		file := sn.String(keyFile)
		switch {
		case (file == "") == (o.Source == ""):
			return nil, sn.Errorf("", "give either source or file")
		case file != "":
			if !filepath.IsAbs(file) {
				file = filepath.Join(deps.TableDir, file)
			}
			b, err := os.ReadFile(file)
			if err != nil {
				return nil, sn.Errorf(keyFile, "read script: %v", err)
			}
			o.Source, o.Name = string(b), sn.String(keyFile)
		default:
			o.Name = fmt.Sprintf("%s:%d", filepath.Base(sn.PosOf(keySource).File), sn.PosOf(keySource).Line)
		}
		return Script(o)
	case "encode":
		if deps.Destinations != nil {
			// The channel stores what its steps make, and the store keeps HL7.
			return nil, sn.Errorf("", "encode belongs in a destination's steps, not the channel's")
		}
		return Encode(sn.String(keyFormat), EncodeOptions{Names: sn.Bool(keyNames), Flat: sn.Bool(keyFlat), Version: sn.String(keyVersion)})
	case "fhir":
		if deps.Destinations != nil {
			return nil, sn.Errorf("", "fhir belongs in a destination's steps, not the channel's: the store keeps HL7")
		}
		var errs config.Errors
		c := FHIRConverter(sn, &errs)
		if err := errs.Err(); err != nil {
			return nil, err
		}
		return FHIR(c), nil
	}
	return nil, sn.Errorf("", "unknown step kind %q", sn.Kind())
}

func fieldMapOf(sn *config.Node) (map[int]int, error) {
	if !sn.Has(keyFields) {
		return nil, nil
	}
	out := map[int]int{}
	for k, v := range sn.Map(keyFields) {
		from, err := strconv.Atoi(k)
		if err != nil {
			return nil, sn.Errorf(keyFields, "%q is not a field number", k)
		}
		out[from] = int(v.Value().(int64))
	}
	return out, nil
}

func segmentFromConfig(sn *config.Node) (Step, error) {
	seg := sn.String(keySegment)
	need := func(keys ...string) error {
		for _, k := range keys {
			if !sn.Has(k) {
				return sn.Errorf("", "action %s needs %s", sn.String(keyAction), k)
			}
		}
		return nil
	}
	w := Where{After: sn.String(keyAfter), Before: sn.String(keyBefore)}
	switch sn.String(keyAction) {
	case "add":
		if err := need(keyText); err != nil {
			return nil, err
		}
		return AddSegment(sn.String(keyText), w)
	case "remove":
		if err := need(keySegment); err != nil {
			return nil, err
		}
		if _, err := parseSegmentTarget(seg); err != nil {
			return nil, err
		}
		return Delete(seg)
	case "move":
		if err := need(keySegment); err != nil {
			return nil, err
		}
		return MoveSegment(seg, w)
	case "rename":
		if err := need(keySegment, keyTo); err != nil {
			return nil, err
		}
		fields, err := fieldMapOf(sn)
		if err != nil {
			return nil, err
		}
		return RenameSegment(seg, sn.String(keyTo), fields)
	case "merge":
		if err := need(keySegment, keyInto, keyFields); err != nil {
			return nil, err
		}
		fields, err := fieldMapOf(sn)
		if err != nil {
			return nil, err
		}
		return MergeSegment(seg, sn.String(keyInto), fields, sn.Bool(keyKeep))
	case "order":
		if err := need(keyOrder); err != nil {
			return nil, err
		}
		return OrderSegments(sn.Strings(keyOrder))
	}
	return nil, sn.Errorf(keyAction, "unknown action %q", sn.String(keyAction))
}

func formatFromConfig(sn *config.Node) (Step, error) {
	o := FormatOptions{OnError: sn.String(keyOnError)}
	if sn.Has(keyDate) {
		d := sn.Object(keyDate)
		o.Date = &DateFormat{From: d.String(keyFrom), To: d.String(keyTo), Precision: d.String(keyPrecision), Zone: d.String(keyZone), InputZone: d.String(keyInZone)}
	}
	if sn.Has(keyNameFmt) {
		d := sn.Object(keyNameFmt)
		o.Name = &NameFormat{Case: d.String(keyCase)}
		for _, v := range d.List(keyOrder) {
			o.Name.Order = append(o.Name.Order, int(v.Value().(int64)))
		}
	}
	if sn.Has(keyPhone) {
		d := sn.Object(keyPhone)
		o.Phone = &PhoneFormat{Pattern: d.String(keyPattern), Country: d.String(keyCountry)}
	}
	if sn.Has(keyID) {
		d := sn.Object(keyID)
		o.ID = &IDFormat{Strip: d.String(keyStrip), Pad: d.Int(keyPad), PadWith: d.String(keyPadWith), Authority: d.String(keyAuthority), TypeCode: d.String(keyTypeCode)}
	}
	if sn.Has(keyText) {
		d := sn.Object(keyText)
		o.Text = &TextFormat{Case: d.String(keyCase), Trim: d.Bool(keyTrim), Max: d.Int(keyMax)}
	}
	return Format(sn.String(keyPath), o)
}
