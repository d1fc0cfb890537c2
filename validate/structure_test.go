package validate

import (
	"fmt"
	"testing"
)

const (
	oru251 = `MSH|^~\&|LAB|HOSP|EHR|HOSP|202601021530||ORU^R01^ORU_R01|C1|P|2.5.1`
	oru23  = `MSH|^~\&|LAB|HOSP|EHR|HOSP|202601021530||ORU^R01|C1|P|2.3`
	oru27  = `MSH|^~\&|LAB|HOSP|EHR|HOSP|202601021530||ORU^R01^ORU_R01|C1|P|2.7.1`
	obr    = `OBR|1||F1|GLU^Glucose^LN`
	obx    = `OBX|1|NM|GLU^Glucose^LN||5.4|mmol/L|||||F`
	obr23  = `OBR|1||F1|GLU^Glucose^LN|||||||||||||||||||||||1^once` // 2.3 requires OBR-27
	oml251 = `MSH|^~\&|LAB|HOSP|EHR|HOSP|202601021530||OML^O21^OML_O21|C1|P|2.5.1`
)

// TestStructure checks how segments are matched against message structures: groups, order,
// cardinality, choices, Z-segments, and what is reported where the message diverges.
func TestStructure(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		in   string
		want []string
	}{
		// Groups, repeated groups, optional and repeating elements.
		{"ORU with two orders and several observations", Options{}, msg(oru251, pid, `PV1|1|O`, `ORC|RE`, obr, `NTE|1||fasting`, obx, `NTE|1||repeat`, obx, `ORC|RE`, obr, obx, `DSC|1`), nil},
		{"2.3 ORU groups", Options{}, msg(oru23, `PID|1||1||DOE`, obr23, obx, `NTE|1||x`, obx), nil},
		{"2.7 patient observation after PID", Options{}, msg(oru27, pid, obx, obr, obx, `SPM|1|S1||UR^Urine^HL70487`, obx), nil},
		{"repeated IN1/IN2 groups (edge case 30)", Options{}, msg(msh251, evn, pid, pv1, `IN1|1|P1|C1`, `IN2|1`, `IN1|2|P2|C2`, `IN1|3|P3|C3`, `IN2|3`), nil},
		{"choice of ORM_O01", Options{}, msg(`MSH|^~\&|A|B|C|D|202601021530||ORM^O01^ORM_O01|C1|P|2.5.1`, pid, `ORC|NW`, `RXO|RX1`, `NTE|1`, `ORC|NW`, obr), nil},
		{"ADT^A04 uses the structure ADT_A01", Options{}, msg(`MSH|^~\&|A|B|C|D|202601021530||ADT^A04|C1|P|2.5.1`, evn, pid, pv1), nil},
		{"MSH-9.3 repeating type_event means the event's structure", Options{}, msg(`MSH|^~\&|A|B|C|D|202601021530||ADT^A04^ADT_A04|C1|P|2.5.1`, `SFT|Acme|1.0|EHR|42`, evn, pid, pv1), []string{
			`W 103 MSH-9.3: MSH-9.3 (Message Structure): "ADT_A04" is not in HL7 table 0354 (Message structure)`,
		}},
		// OML_O21 nests the prior results of an order (PRIOR_RESULT, which may begin with ORC)
		// in OBSERVATION_REQUEST: an ORC after an OBR begins either the next order or prior
		// results. The matcher reads ahead to tell them apart.
		{"OML^O21 second order is not a prior result", Options{}, msg(oml251, pid, `PV1|1|O`, `ORC|NW|P1`, `OBR|1|P1||GLU^Glucose^LN`, `ORC|NW|P2`, `OBR|2|P2||NA^Sodium^LN`), nil},
		{"OML^O21 prior results, then the next order", Options{}, msg(oml251, pid, `ORC|NW|P1`, `OBR|1|P1||GLU^Glucose^LN`, `PV1|1|O`, `ORC|XO|P0`, `OBR|1|P0||GLU^Glucose^LN`, `OBX|1|NM|GLU^Glucose^LN||5.4|mmol/L|||||F`, `ORC|NW|P2`, `OBR|2|P2||NA^Sodium^LN`), nil},
		{"OML^O21 2.7 three orders", Options{}, msg(`MSH|^~\&|A|B|C|D|202601021530||OML^O21^OML_O21|C1|P|2.7`, pid, `ORC|NW|P1`, `OBR|1|P1||GLU^Glucose^LN`, `ORC|NW|P2`, `TQ1|1`, `OBR|2|P2||NA^Sodium^LN`, `ORC|NW|P3`, `OBR|3|P3||K^Potassium^LN`), nil},
		{"OML^O21 prior result missing its observation", Options{}, msg(oml251, pid, `ORC|NW|P1`, `OBR|1|P1||GLU^Glucose^LN`, `PV1|1|O`, `ORC|XO|P0`, `OBR|1|P0||GLU^Glucose^LN`), []string{
			"E 100 OBX: group OBSERVATION_PRIOR (OBX) is missing: group ORDER_PRIOR requires it, at the end of the message",
		}},
		{"2.3 before message structures: the event's definition", Options{}, msg(`MSH|^~\&|A|B|C|D|202601021530||ADT^A04|C1|P|2.3`, evn, `PID|1||1||DOE`, pv1), nil},

		// Missing segments and groups, reported where they were expected.
		{"missing required segment", Options{}, msg(msh251, pid, pv1), []string{
			"E 100 EVN: EVN is missing: ADT_A01 requires it, before segment 2 (PID)",
		}},
		{"missing required segment of a group", Options{}, msg(oru251, pid, obx, obx), []string{
			"E 100 OBR: OBR is missing: group ORDER_OBSERVATION requires it, before segment 3 (OBX)",
		}},
		{"missing required group at the end", Options{}, msg(oru251, pid, `PV1|1|O`), []string{
			"E 100 OBR: group ORDER_OBSERVATION (ORC, OBR) is missing: group PATIENT_RESULT requires it, at the end of the message",
		}},
		{"missing master file entry (edge case 30, nHapi 264)", Options{}, msg(`MSH|^~\&|A|B|C|D|202601021530||MFN^M01|C1|P|2.3`, `MFI|LOC|ZL1|UPD|||NE`, `ZL1|A|B`, `MFE|MAD|1||X`, `ZL1|C|D`), []string{
			"E 100 MFE: MFE is missing: group MF requires it, before segment 3 (ZL1)",
		}},

		// Segments with no place.
		{"segment repeated beyond its maximum", Options{}, msg(msh251, evn, pid, pid, pv1), []string{
			"E 100 PID[2]: segment 4 (PID) repeats PID, which may occur only once in ADT_A01",
		}},
		{"segment of another structure", Options{}, msg(msh251, evn, pid, obr, pv1), []string{
			"E 100 OBR: segment 4 (OBR) is not part of ADT_A01; after PID the structure allows PD1, ROL, NK1, PV1",
		}},
		{"segment no version defines", Options{}, msg(msh251, evn, pid, `ABC|1`, pv1), []string{
			"E 100 ABC: segment 4 (ABC) is not a segment of 2.5.1, nor of ADT_A01; after PID the structure allows PD1, ROL, NK1, PV1",
		}},
		{"a group's segment before its first: the first is missing", Options{}, msg(oru251, pid, obx, obr, obx), []string{
			"E 100 OBR: OBR is missing: group ORDER_OBSERVATION requires it, before segment 3 (OBX)",
		}},
		{"misplaced segment", Options{}, msg(msh251, evn, pid, pv1, `NK1|1|DOE^JOHN`), []string{
			"E 100 NK1: segment 5 (NK1) is out of order: after PV1, ADT_A01 allows PV2, ROL, DB1, OBX, AL1, DG1, DRG, PR1, GT1, IN1…, or the end of the message; NK1 belongs after ROL",
		}},
		{"swapped segments", Options{}, msg(msh251, evn, pv1, pid), []string{
			"E 100 PV1: segment 3 (PV1) is out of order: after EVN, ADT_A01 allows PID; PV1 belongs after NK1",
			"E 100 PV1: PV1 is missing: ADT_A01 requires it, at the end of the message",
		}},
		{"segment after the end", Options{}, msg(oru251, pid, obr, obx, `DSC|1`, obx), []string{
			"E 100 OBX[2]: segment 6 (OBX) is out of order: after DSC, ORU_R01 allows no more segments; OBX belongs at the start of group OBSERVATION",
		}},
		{"matching goes on after an unexpected segment", Options{}, msg(msh251, evn, `ABC|1`, pid, `XYZ|2`, pv1, `PV2`), []string{
			"E 100 ABC: segment 3 (ABC) is not a segment of 2.5.1, nor of ADT_A01; after EVN the structure allows PID",
			"E 100 XYZ: segment 5 (XYZ) is not a segment of 2.5.1, nor of ADT_A01; after PID the structure allows PD1, ROL, NK1, PV1",
		}},

		// Z-segments (edge case 11).
		{"Z-segments are tolerated anywhere", Options{}, msg(msh251, `ZZ1|1`, evn, pid, `ZPI|A|B`, pv1, `ZPV|x`), nil},
		{"Z-segments rejected", Options{RejectZSegments: true}, msg(msh251, evn, pid, `ZPI|A`, pv1), []string{
			"E 100 ZPI: segment 4 (ZPI) is not part of ADT_A01; after PID the structure allows PD1, ROL, NK1, PV1",
		}},

		// Messages the version has no structure for.
		{"unknown message type", Options{}, msg(`MSH|^~\&|A|B|C|D|202601021530||ZZZ^Z01|C1|P|2.5.1`, pid, `PV1|1|Q`), []string{
			"W 200 -: 2.5.1 has no message structure for ZZZ^Z01: the segments' order was not checked, only their fields",
			`W 103 MSH-9.1: MSH-9.1 (Message Code): "ZZZ" is not in HL7 table 0076 (Message type)`,
			`W 103 MSH-9.2: MSH-9.2 (Trigger Event): "Z01" is not in HL7 table 0003 (Event type)`,
			`W 103 PV1-2: PV1-2 (Patient Class): "Q" is not in HL7 table 0004 (Patient Class)`,
		}},
		{"unknown event", Options{}, msg(`MSH|^~\&|A|B|C|D|202601021530||ADT^Z99|C1|P|2.5.1`, evn, pid, pv1), []string{
			"W 201 -: 2.5.1 has no message structure for ADT^Z99: the segments' order was not checked, only their fields",
			`W 103 MSH-9.2: MSH-9.2 (Trigger Event): "Z99" is not in HL7 table 0003 (Event type)`,
		}},
		{"MSH-9.3 names no structure", Options{}, msg(`MSH|^~\&|A|B|C|D|202601021530||ADT^A01^ADT_X99|C1|P|2.5.1`, evn, pid, pv1), []string{
			"W 103 -: MSH-9.3 names message structure ADT_X99, which 2.5.1 does not define; the segments were matched against ADT_A01, the structure of ADT^A01",
			`W 103 MSH-9.3: MSH-9.3 (Message Structure): "ADT_X99" is not in HL7 table 0354 (Message structure)`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := mustValidator(t, tt.opts).Validate(mustParse(t, tt.in))
			sameLines(t, tt.name, issueLines(res), tt.want)
		})
	}
}

// TestStructureAssignsSegments checks that a segment is checked against the definition at
// the place it matched: an unknown Z-segment is passed over, an unexpected segment still has
// its fields checked.
func TestStructureAssignsSegments(t *testing.T) {
	v := mustValidator(t, Options{})
	res := v.Validate(mustParse(t, msg(msh251, evn, pid, `OBR|X`, pv1, `ZPV|not checked`)))
	want := []string{
		"E 100 OBR: segment 4 (OBR) is not part of ADT_A01; after PID the structure allows PD1, ROL, NK1, PV1",
		`E 102 OBR-1: OBR-1 (Set ID - OBR): "X" is not a sequence ID (SI): expected a non-negative whole number`,
		"E 101 OBR-4: OBR-4 (Universal Service Identifier) is required but missing",
	}
	sameLines(t, "fields of an unexpected segment", issueLines(res), want)
	if res.Structure != "ADT_A01" || res.Version != "2.5.1" {
		t.Errorf("result %+v", res)
	}
}

// TestManyMisplacedSegments validates a long feed with a misplaced segment in every order:
// each is reported, with its occurrence in the path, and numbering the occurrences reads each
// segment once for the whole message, not once per issue (which made such messages take
// quadratic time).
func TestManyMisplacedSegments(t *testing.T) {
	const orders = 4000
	for _, body := range [][]string{{`ORC|RE`, obr, obx, evn}, {`ORC|RE`, evn}} {
		segs := []string{oru251, pid}
		for range orders {
			segs = append(segs, body...)
		}
		m := mustParse(t, msg(segs...))
		v := mustValidator(t, Options{})
		r := run{v: v, m: m, sc: new(scratch)}
		r.validate()
		issues := r.res.Issues
		want := orders // EVN is not part of ORU_R01
		if len(body) == 2 {
			want = 2 * orders // and each order lacks its OBR
		}
		if len(issues) != want {
			t.Fatalf("%d segments an order: %d issues, want %d", len(body), len(issues), want)
		}
		first, last := issues[0], issues[len(issues)-1]
		if len(body) == 2 {
			last = issues[len(issues)-2] // then OBR is missing at the end of the message
		}
		if first.Path.String() != "EVN[1]" || last.Path.String() != fmt.Sprintf("EVN[%d]", orders) || last.Segment != m.NumSegments()-1 {
			t.Errorf("%d segments an order: first issue %s at %d, last %s at %d", len(body), first.Path, first.Segment, last.Path, last.Segment)
		}
		if r.occReads != m.NumSegments() {
			t.Errorf("%d segments an order: %d segments read to number occurrences, want %d (one pass)", len(body), r.occReads, m.NumSegments())
		}
	}
}
