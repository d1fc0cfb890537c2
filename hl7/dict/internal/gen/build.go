package gen

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Element kinds, as written to the files.
const (
	kindSegment = 0
	kindGroup   = 1
	kindChoice  = 2
)

type outVersion struct {
	name       string
	dataTypes  []outDataType  // by name
	segments   []outSegment   // by name
	structures []outStructure // by name
	events     []outEvent     // by message type, then trigger
}

type outDataType struct {
	name, desc string
	comps      []outComp
}

type outComp struct {
	name, dataType, usage string
	maxLen                int
	table                 string
}

type outSegment struct {
	name, desc string
	fields     []outField
}

type outField struct {
	name, dataType, usage    string
	minReps, maxReps, maxLen int
	table                    string
}

type outStructure struct {
	name, desc string
	elems      []outElem
}

type outElem struct {
	kind       int
	name, desc string
	min, max   int
	elems      []outElem // group members or choice alternatives
}

type outEvent struct{ msgType, trigger, structure string }

type outTable struct {
	id, name string
	codes    []keyValue
}

// usages maps the package's "opt" numbers to HL7 usage codes. The package's README gives
// 0 optional, 1 required, 2 conditional or backward compatible; the data does not follow it.
// The data uses 1..4, and reading it against the standard gives: 1 O (PID-1), 2 R (PID-3,
// PID-5, MSH-9), 3 C (HD-2 from 2.5, PID-35 in 2.7) and 4 W, withdrawn: it occurs only in 2.7
// and 2.7.1, on fields the standard withdrew there (PID-2, PID-4, MSA-3, EVN-1, the UB1
// segment), which the package also gives data type ST and no length.
var usages = map[int]string{1: "O", 2: "R", 3: "C", 4: "W"}

// tableID formats a table number the HL7 way, "0001".
func tableID(n *int) string {
	if n == nil {
		return ""
	}
	return fmt.Sprintf("%04d", *n)
}

func field(name string, f srcField) (outField, error) {
	usage, ok := usages[f.Opt]
	if !ok {
		return outField{}, fmt.Errorf("%s: opt %d is none of 1 (O), 2 (R), 3 (C), 4 (W)", name, f.Opt)
	}
	if f.DataType == "" {
		return outField{}, fmt.Errorf("%s: no data type", name)
	}
	out := outField{
		name:     clean(f.Desc),
		dataType: f.DataType,
		usage:    usage,
		table:    tableID(f.Table),
	}
	if usage == "R" {
		out.minReps = 1 // the package has no minimum; a required field occurs at least once
	}
	if f.Rep != nil {
		if *f.Rep < 0 {
			return outField{}, fmt.Errorf("%s: rep %d", name, *f.Rep)
		}
		out.maxReps = *f.Rep // 0 is unbounded, as in the package
	} else {
		return outField{}, fmt.Errorf("%s: no rep", name)
	}
	if f.Len != nil {
		if *f.Len < 0 {
			return outField{}, fmt.Errorf("%s: len %d", name, *f.Len)
		}
		out.maxLen = *f.Len
	}
	return out, nil
}

// restoreVaries undoes a loss in the package's 2.7 and 2.7.1: they have no VARIES data type,
// and the fields that have it in 2.6 (OBX-5, MFA-5, MFE-4, QPD-3, RDT-1), whose type another
// field gives, read ST instead. A validator would then refuse a coded OBX-5. When a version
// lacks VARIES, each field that is VARIES in the previous version, at the same position of
// the same segment, and ST in this one, is made VARIES again, and the previous version's
// VARIES definition is copied.
func restoreVaries(sv *srcVersion, prev srcVersion) {
	const varies = "VARIES"
	def, ok := prev.dataTypes[varies]
	if _, has := sv.dataTypes[varies]; has || !ok {
		return
	}
	restored := false
	for name, s := range sv.segments {
		p, ok := prev.segments[name]
		if !ok {
			continue
		}
		for i := range s.Fields {
			if i < len(p.Fields) && p.Fields[i].DataType == varies && s.Fields[i].DataType == "ST" {
				s.Fields[i].DataType = varies
				restored = true
			}
		}
	}
	if restored {
		sv.dataTypes[varies] = def
	}
}

// buildVersion converts one version of the package. t354 is the package's table 0354.
func buildVersion(sv srcVersion, t354 orderedMap) (*outVersion, error) {
	v := &outVersion{name: sv.name}

	for _, name := range sortedKeys(sv.dataTypes) {
		dt := sv.dataTypes[name]
		out := outDataType{name: name, desc: clean(dt.Desc)}
		for i, sf := range dt.Subfields {
			f, err := field(fmt.Sprintf("%s data type %s.%d", sv.name, name, i+1), sf)
			if err != nil {
				return nil, err
			}
			out.comps = append(out.comps, outComp{name: f.name, dataType: f.dataType, usage: f.usage, maxLen: f.maxLen, table: f.table})
		}
		v.dataTypes = append(v.dataTypes, out)
	}

	for _, name := range sortedKeys(sv.segments) {
		s := sv.segments[name]
		out := outSegment{name: name, desc: clean(s.Desc)}
		for i, sf := range s.Fields {
			f, err := field(fmt.Sprintf("%s segment %s-%d", sv.name, name, i+1), sf)
			if err != nil {
				return nil, err
			}
			if _, ok := sv.dataTypes[f.dataType]; !ok {
				return nil, fmt.Errorf("%s segment %s-%d: data type %s is not defined", sv.name, name, i+1, f.dataType)
			}
			out.fields = append(out.fields, f)
		}
		v.segments = append(v.segments, out)
	}

	choices := namedChoices(sv)
	for _, name := range sortedKeys(sv.messages) {
		m := sv.messages[name]
		if m.Name != name {
			return nil, fmt.Errorf("%s message %s: name %q differs from its key", sv.name, name, m.Name)
		}
		elems, err := elements(sv.name+" message "+name, m.Segments.Segments, choices)
		if err != nil {
			return nil, err
		}
		v.structures = append(v.structures, outStructure{name: name, desc: clean(m.Desc), elems: elems})
	}

	events, err := eventMap(v, t354)
	if err != nil {
		return nil, err
	}
	v.events = events
	return v, nil
}

// elements converts message nodes.
func elements(where string, nodes []srcNode, choices map[string][]string) ([]outElem, error) {
	var out []outElem
	for i, n := range nodes {
		at := fmt.Sprintf("%s element %d", where, i+1)
		if n.Min < 0 || n.Max < 0 {
			return nil, fmt.Errorf("%s: cardinality %d..%d", at, n.Min, n.Max)
		}
		e := outElem{desc: clean(n.Desc), min: n.Min, max: n.Max}
		switch {
		case n.Children != nil && n.Compounds != nil:
			return nil, fmt.Errorf("%s: both children and compounds", at)
		case n.Children != nil:
			if n.Name == nil || len(n.Children) == 0 {
				return nil, fmt.Errorf("%s: group without a name or members", at)
			}
			e.kind, e.name = kindGroup, *n.Name
			kids, err := elements(at+" ("+e.name+")", n.Children, choices)
			if err != nil {
				return nil, err
			}
			e.elems = kids
		case n.Compounds != nil:
			e.kind = kindChoice
			alts := n.Compounds
			if hasNullName(alts) {
				names, ok := choices[choiceKey(n)]
				if !ok {
					return nil, fmt.Errorf("%s: choice %q has unnamed alternatives and no named choice of the same description and size to repair them from", at, n.Desc)
				}
				alts = slices.Clone(alts)
				for j := range alts {
					alts[j].Name = &names[j]
				}
			}
			kids, err := elements(at+" (choice)", alts, choices)
			if err != nil {
				return nil, err
			}
			for _, k := range kids {
				if k.kind != kindSegment {
					return nil, fmt.Errorf("%s: a choice alternative is not a segment", at)
				}
			}
			e.elems = kids
		default:
			if n.Name == nil || *n.Name == "" {
				return nil, fmt.Errorf("%s: segment without a name", at)
			}
			e.kind, e.name = kindSegment, *n.Name
		}
		out = append(out, e)
	}
	return out, nil
}

func hasNullName(nodes []srcNode) bool {
	for _, n := range nodes {
		if n.Name == nil {
			return true
		}
	}
	return false
}

func choiceKey(n srcNode) string {
	return clean(n.Desc) + "\x00" + strconv.Itoa(len(n.Compounds))
}

// namedChoices collects the choices of a version whose alternatives all have names, by
// description and size. In 2.7 and 2.7.1, CCM_I21 lists its choices ("Resource Object",
// "Clinical History Object", "Role Goal Object"...) with null alternatives, while CCI_I22,
// CCR_I16 and others list the same choices, same description and size, in full. A key that
// maps to different alternatives in different messages is left out, so it cannot repair.
func namedChoices(sv srcVersion) map[string][]string {
	found := map[string][]string{}
	bad := map[string]bool{}
	var walk func([]srcNode)
	walk = func(nodes []srcNode) {
		for _, n := range nodes {
			walk(n.Children)
			if n.Compounds == nil || hasNullName(n.Compounds) {
				continue
			}
			var names []string
			for _, c := range n.Compounds {
				names = append(names, *c.Name)
			}
			k := choiceKey(n)
			if prev, ok := found[k]; ok && !slices.Equal(prev, names) {
				bad[k] = true
			}
			found[k] = names
		}
	}
	for _, name := range sortedKeys(sv.messages) {
		walk(sv.messages[name].Segments.Segments)
	}
	for k := range bad {
		delete(found, k)
	}
	return found
}

// canon renders an element tree without descriptions, to compare two definitions.
func canon(elems []outElem) string {
	var b strings.Builder
	var walk func([]outElem)
	walk = func(es []outElem) {
		for _, e := range es {
			fmt.Fprintf(&b, "%d:%s:%d:%d", e.kind, e.name, e.min, e.max)
			if e.elems != nil {
				b.WriteString("{")
				walk(e.elems)
				b.WriteString("}")
			}
			b.WriteString(";")
		}
	}
	walk(elems)
	return b.String()
}

// eventTokenRE splits a row of table 0354 into trigger events. The package's row texts have
// typos the split must survive: "I08, I09. I10, I11", "M01, M02, M03,", "Q23,Q24".
var eventTokenRE = regexp.MustCompile(`[\s,.]+`)

// structureOverrides corrects the package's table 0354 for versions whose own table 0354
// differs from it. The package has one table 0354, with no version; its rows (EHC_E01,
// OPL_O37, MFN_M16, SDR_S31, none of 2.7's CCR_I16) match v2.6. Each entry cites the
// version's table and is checked against the package's own data: the event's definition must
// equal the structure's, segment for segment, or the generator stops.
var structureOverrides = map[string]map[string]string{
	// HL7 v2.3.1 chapter 2, table 0354: ADT_A01 serves A01, A04, A05, A08, A13, A14, A28, A31;
	// ADT_A02 serves A02, A21, A22, A23, A25, A26, A27, A29, A32, A33; ADT_A09 serves A09, A10,
	// A11, A15; BAR_P01 serves P01, P05. ADT_A05 and ADT_A21 came in v2.4.
	"2.3.1": {
		"ADT^A05": "ADT_A01", "ADT^A14": "ADT_A01", "ADT^A28": "ADT_A01", "ADT^A31": "ADT_A01",
		"ADT^A21": "ADT_A02", "ADT^A22": "ADT_A02", "ADT^A23": "ADT_A02", "ADT^A25": "ADT_A02",
		"ADT^A26": "ADT_A02", "ADT^A27": "ADT_A02", "ADT^A29": "ADT_A02", "ADT^A32": "ADT_A02",
		"ADT^A33": "ADT_A02",
		"ADT^A15": "ADT_A09",
		"BAR^P05": "BAR_P01",
	},
	// HL7 v2.7 table 0354, as HAPI's v2.7 event map carries it: ADT_A43 serves A43, A49 and
	// ADT_A44 serves A44, A47 (the v2.6 table gives A44 to ADT_A43 and A47, A49 to ADT_A30,
	// which v2.7 withdrew).
	"2.7":   v27Overrides,
	"2.7.1": v27Overrides,
}

var v27Overrides = map[string]string{"ADT^A44": "ADT_A44", "ADT^A47": "ADT_A44", "ADT^A49": "ADT_A43"}

// eventMap builds the trigger event → message structure map of one version.
//
// Versions before 2.3.1 have no message structure (MSH-9 has no third component), and the
// package defines one message per event (ADT_A04), so each event maps to its own definition.
// From 2.3.1, MSH-9.3 names a structure that several events share; the package still keeps
// many per-event definitions (2.5.1 has both ADT_A01 and ADT_A04, and its ADT_A04 lacks the SFT
// segment that its ADT_A01 has). So an event maps, in this order, to
//  1. the version's override, if any;
//  2. its own definition, when its name is itself a structure in table 0354 (RPI_I04);
//  3. the one structure table 0354 lists it under that the version defines (ADT_A04 →
//     ADT_A01), of the same message type (the table lists PCC under PPG_PCG by mistake);
//  4. its own definition (the table has no row, as for 2.7's CCR_I16).
func eventMap(v *outVersion, t354 orderedMap) ([]outEvent, error) {
	defined := map[string]*outStructure{}
	for i := range v.structures {
		defined[v.structures[i].name] = &v.structures[i]
	}
	inTable := map[string]bool{}
	listed := map[string][]string{} // "ADT^A04" → structures
	for _, row := range t354 {
		inTable[row.Key] = true
		msgType, _, _ := strings.Cut(row.Key, "_")
		if strings.EqualFold(strings.TrimSpace(row.Value), "Varies") {
			continue // ACK: any trigger; found by message type
		}
		for _, ev := range eventTokenRE.Split(row.Value, -1) {
			if ev != "" {
				k := msgType + "^" + ev
				listed[k] = append(listed[k], row.Key)
			}
		}
	}
	own := map[string]string{}
	for name := range defined {
		if t, e, ok := strings.Cut(name, "_"); ok && t != "" && e != "" {
			own[t+"^"+e] = name
		}
	}

	withStructure := compareVersions(v.name, "2.3.1") >= 0
	overrides := structureOverrides[v.name]
	keys := map[string]bool{}
	for k := range own {
		keys[k] = true
	}
	if withStructure {
		for k := range listed {
			keys[k] = true
		}
	}
	var out []outEvent
	for _, k := range sortedKeys(keys) {
		s := ""
		ownName, hasOwn := own[k]
		switch {
		case overrides[k] != "":
			s = overrides[k]
			target, ok := defined[s]
			if !ok {
				return nil, fmt.Errorf("%s: override %s → %s names a structure the package does not define", v.name, k, s)
			}
			if hasOwn && ownName != s && canon(defined[ownName].elems) != canon(target.elems) {
				return nil, fmt.Errorf("%s: override %s → %s contradicts the package, whose %s differs from %s", v.name, k, s, ownName, s)
			}
		case !withStructure:
			s = ownName
		case hasOwn && inTable[ownName]:
			s = ownName
		default:
			var cands []string
			for _, c := range listed[k] {
				if defined[c] != nil {
					cands = append(cands, c)
				}
			}
			sort.Strings(cands)
			switch {
			case len(cands) == 1:
				s = cands[0]
			case len(cands) > 1:
				return nil, fmt.Errorf("%s: table 0354 lists %s under %s", v.name, k, strings.Join(cands, " and "))
			case hasOwn:
				s = ownName
			}
		}
		if s == "" {
			continue // listed in the table under a structure this version lacks
		}
		t, e, _ := strings.Cut(k, "^")
		out = append(out, outEvent{msgType: t, trigger: e, structure: s})
	}
	return out, nil
}

func buildTables(src map[string]srcTable) ([]outTable, error) {
	type numbered struct {
		n int
		t srcTable
	}
	var all []numbered
	for k, t := range src {
		n, err := strconv.Atoi(k)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("lib/tables.js: table key %q is not a number", k)
		}
		all = append(all, numbered{n, t})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].n < all[j].n })
	var out []outTable
	for _, nt := range all {
		n := nt.n
		t := outTable{id: tableID(&n), name: clean(nt.t.Desc)}
		for _, kv := range nt.t.Values {
			t.codes = append(t.codes, keyValue{Key: kv.Key, Value: clean(kv.Value)})
		}
		out = append(out, t)
	}
	return out, nil
}

// compareVersions compares dotted version numbers: "2.3" < "2.3.1" < "2.4".
func compareVersions(a, b string) int {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pa) && i < len(pb); i++ {
		x, _ := strconv.Atoi(pa[i])
		y, _ := strconv.Atoi(pb[i])
		if x != y {
			return x - y
		}
	}
	return len(pa) - len(pb)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
