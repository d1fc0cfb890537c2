package gen

import (
	"fmt"
	"strings"
)

// fieldRepair corrects the usage of one segment field of one version, where the source
// contradicts the standard. from is the source's faulty "opt" number and to the corrected
// one (1 O, 2 R; see usages). A repair whose field no longer reads from stops the generator:
// a corrected source must not get a stale patch, and the repair must then be removed.
type fieldRepair struct {
	version, segment string
	seq              int // from 1
	from, to         int
	why              string // the standard's text this follows
}

// fieldRepairs are the field repairs, each citing the standard. A conditional (C) field reads
// O in this dictionary, as the source's other C fields before 2.7 do (see Field.Usage).
var fieldRepairs = []fieldRepair{
	{"2.3.1", "OBX", 2, 2, 1, "HL7 v2.3.1 §7.3.2.2: Value Type is conditional (C), valued when OBX-5 is (the source has O in 2.4)"},
	{"2.3.1", "OBX", 4, 2, 1, "HL7 v2.3.1 §7.3.2.4: Observation Sub-ID is conditional (C); the source has O in 2.3 and 2.4"},
	{"2.3.1", "ORC", 1, 1, 2, "HL7 v2.3.1 §4.3.1.1 (ORC attributes): Order Control is R, as in every version"},
}

// elementRepair corrects one group of one message structure, where the source contradicts
// the standard: its cardinality, its name, or both. path names the group and its enclosing
// groups from the top, "/"-separated, as the source spells them. A repair whose group is not
// found, or does not have the cardinality from, stops the generator, so that a corrected
// source does not get a stale patch.
type elementRepair struct {
	version, structure string
	path               string
	from, to           [2]int // min, max as the source has them, and as repaired (0 max: unbounded)
	rename             string // the group's corrected name, or "" to keep it
	why                string
}

// The 2.6 source turns the optional repeating groups [{ ... }] of OML_O21 into required single
// ones; 2.5.1's OML_O21 has them right. "TIIMING" is the source's misspelling of TIMING in
// OML_O21, OML_O33 and OML_O35 of 2.5, 2.5.1 and 2.6.
const (
	whyOML26  = "HL7 v2.6 chapter 4, message OML^O21^OML_O21: the group is [{ ... }], optional and repeating, as in v2.5.1"
	whyTiming = "HL7 v2.5 to v2.6 chapter 4: the group is TIMING; the source spells it TIIMING"
)

var (
	optionalRepeating = [2]int{0, 0}
	requiredOnce      = [2]int{1, 1}
)

var elementRepairs = []elementRepair{
	{"2.6", "OML_O21", "PATIENT/INSURANCE", requiredOnce, optionalRepeating, "", whyOML26},
	{"2.6", "OML_O21", "ORDER/TIIMING", requiredOnce, optionalRepeating, "TIMING", whyOML26 + "; " + whyTiming},
	{"2.6", "OML_O21", "ORDER/OBSERVATION_REQUEST/OBSERVATION", requiredOnce, optionalRepeating, "", whyOML26},
	{"2.6", "OML_O21", "ORDER/OBSERVATION_REQUEST/SPECIMEN", requiredOnce, optionalRepeating, "", whyOML26},
	{"2.6", "OML_O21", "ORDER/OBSERVATION_REQUEST/SPECIMEN/CONTAINER", requiredOnce, optionalRepeating, "", whyOML26},
	{"2.6", "OML_O21", "ORDER/OBSERVATION_REQUEST/PRIOR_RESULT", requiredOnce, optionalRepeating, "", whyOML26},
	{"2.6", "OML_O21", "ORDER/OBSERVATION_REQUEST/PRIOR_RESULT/ORDER_PRIOR/TIMING_PRIOR", requiredOnce, optionalRepeating, "", whyOML26},
	{"2.6", "OML_O33", "SPECIMEN/ORDER/TIIMING", requiredOnce, requiredOnce, "TIMING", whyTiming},
	{"2.6", "OML_O35", "SPECIMEN/SPECIMEN_CONTAINER/ORDER/TIIMING", requiredOnce, requiredOnce, "TIMING", whyTiming},
	{"2.5", "OML_O21", "ORDER/TIIMING", optionalRepeating, optionalRepeating, "TIMING", whyTiming},
	{"2.5", "OML_O33", "SPECIMEN/ORDER/TIIMING", optionalRepeating, optionalRepeating, "TIMING", whyTiming},
	{"2.5", "OML_O35", "SPECIMEN/SPECIMEN_CONTAINER/ORDER/TIIMING", optionalRepeating, optionalRepeating, "TIMING", whyTiming},
	{"2.5.1", "OML_O21", "ORDER/TIIMING", optionalRepeating, optionalRepeating, "TIMING", whyTiming},
	{"2.5.1", "OML_O33", "SPECIMEN/ORDER/TIIMING", optionalRepeating, optionalRepeating, "TIMING", whyTiming},
	{"2.5.1", "OML_O35", "SPECIMEN/SPECIMEN_CONTAINER/ORDER/TIIMING", optionalRepeating, optionalRepeating, "TIMING", whyTiming},
}

// repairVersion applies the field and element repairs of sv's version to sv. It fails when a
// repair no longer matches the source.
func repairVersion(sv *srcVersion, fields []fieldRepair, elems []elementRepair) error {
	for _, r := range fields {
		if r.version != sv.name {
			continue
		}
		at := fmt.Sprintf("%s segment %s-%d", sv.name, r.segment, r.seq)
		s, ok := sv.segments[r.segment]
		if !ok || r.seq < 1 || r.seq > len(s.Fields) {
			return fmt.Errorf("repair %s: the source has no such field", at)
		}
		f := &s.Fields[r.seq-1]
		if f.Opt != r.from {
			return fmt.Errorf("repair %s: the source has opt %d, not the faulty %d this repair corrects (%s); remove the repair if the source is fixed", at, f.Opt, r.from, r.why)
		}
		f.Opt = r.to
	}
	for _, r := range elems {
		if r.version != sv.name {
			continue
		}
		at := fmt.Sprintf("%s message %s group %s", sv.name, r.structure, r.path)
		m, ok := sv.messages[r.structure]
		if !ok {
			return fmt.Errorf("repair %s: the source has no such message", at)
		}
		n := findGroup(m.Segments.Segments, strings.Split(r.path, "/"))
		if n == nil {
			return fmt.Errorf("repair %s: the source has no such group; remove the repair if the source is fixed", at)
		}
		if got := [2]int{n.Min, n.Max}; got != r.from {
			return fmt.Errorf("repair %s: the source has %d..%d, not the faulty %d..%d this repair corrects (%s); remove the repair if the source is fixed", at, got[0], got[1], r.from[0], r.from[1], r.why)
		}
		n.Min, n.Max = r.to[0], r.to[1]
		if r.rename != "" {
			name := r.rename
			n.Name = &name
		}
	}
	return nil
}

// findGroup returns the group node that path names, or nil. The nodes are the source's and
// are changed in place.
func findGroup(nodes []srcNode, path []string) *srcNode {
	for i := range nodes {
		n := &nodes[i]
		if n.Children == nil || n.Name == nil || *n.Name != path[0] {
			continue
		}
		if len(path) == 1 {
			return n
		}
		return findGroup(n.Children, path[1:])
	}
	return nil
}

// checkRepairsTargetVersions fails when a repair names a version the generator does not read,
// which would leave it unapplied without a word.
func checkRepairsTargetVersions(versions []string) error {
	known := map[string]bool{}
	for _, v := range versions {
		known[v] = true
	}
	for _, r := range fieldRepairs {
		if !known[r.version] {
			return fmt.Errorf("repair %s %s-%d: version %s is not read", r.version, r.segment, r.seq, r.version)
		}
	}
	for _, r := range elementRepairs {
		if !known[r.version] {
			return fmt.Errorf("repair %s %s %s: version %s is not read", r.version, r.structure, r.path, r.version)
		}
	}
	return nil
}
