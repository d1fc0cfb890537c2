package file

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/courier-hl7/courier/hl7"
	"github.com/courier-hl7/courier/internal/config"
	"github.com/courier-hl7/courier/internal/connector"
)

const (
	keyName        = "file_name"
	keyExists      = "exists"
	keyTerminator  = "segment_terminator"
	keyFileMode    = "file_mode"
	keyDirMode     = "dir_mode"
	keyTimeZone    = "time_zone"
	keyBatch       = "batch"
	keySchedule    = "schedule"
	keyMaxMessages = "max_messages"
	keyEnvelope    = "envelope"
	keySendingApp  = "sending_application"
	keySendingFac  = "sending_facility"
	keyReceiveApp  = "receiving_application"
	keyReceiveFac  = "receiving_facility"
	keyComment     = "comment"
)

// Envelopes of a batch file (`batch.envelope`).
const (
	envelopeFile  = "file"  // FHS, BHS, messages, BTS, FTS
	envelopeBatch = "batch" // BHS, messages, BTS
	envelopeNone  = "none"  // the messages one after another
)

// DestinationSpec describes the file destination.
func DestinationSpec() config.Spec {
	hd := "Written as given: components are separated by `^` (`BILLING^2.16.840.1.113883.3.1^ISO`); `|` is not allowed."
	return config.Spec{
		Name:    "file",
		Summary: "Writes each message to its own file, or gathers messages into FHS/BHS batch files on a schedule.",
		Description: "Each message is written to the file that `path` and `file_name` give, folders created as needed. " +
			"Both are templates: `{{PATH}}` is replaced by the value at an HL7 path of the message (`{{MSH-9.1}}`, " +
			"`{{PID-3[1].1}}`), `{{id}}` by the stored message's ID, `{{seq}}` by its queue entry's number (unique per " +
			"destination, and the same when a delivery is retried), and `{{date:LAYOUT}}` by the time the message " +
			"was received, in `time_zone`, formatted with a Go layout (`{{date:20060102}}`; a bare `{{date}}` is " +
			"`20060102`; slashes in the layout make folders). Values from the message are made into safe names: " +
			"anything but letters, digits and `-_.+=@,` becomes `_`, a leading `.` becomes `_`, an empty value is " +
			"`_`, and a value is cut at 64 bytes, so no message can name a file outside the folder. A folder or " +
			"file name longer than 240 bytes (several values side by side) is cut to 240, keeping its extension, " +
			"so that it fits the 255 bytes file systems allow.\n\n" +
			"Writes are atomic: the content goes to a temporary file in the target folder (named `.<name>.*.tmp`, " +
			"which the file source ignores), is synced to disk, then takes its name, and the folder is synced; " +
			"no reader ever sees half a file.\n\n" +
			"With a `batch` object the destination gathers messages instead and writes one batch file per group: " +
			"FHS, BHS, the messages, BTS (BTS-1: the number of messages) and FTS (FTS-1: 1). A group is the time " +
			"between two fire times of `batch.schedule` (cron syntax; the daily billing batch is `0 2 * * *`) and is " +
			"named after the fire time that opens it, in `time_zone`: `20261127-0200` holds what arrived from 02:00 " +
			"on 27 November 2026 and is written at the next fire time. With `batch.max_messages`, a group is also " +
			"written as soon as it holds that many, and the rest of the window forms a new group with a number: " +
			"`20261127-0200-0002`. A batch file is written atomically and a retried write (after a crash) writes the " +
			"same file again with the same content. FHS-11 and BHS-11 (control IDs) hold the group's name, FHS-9 " +
			"the file's name, FHS-7 the time the last message of the group was received. Group names are not " +
			"given twice, even when the receiving system takes the files away and Courier restarts within the " +
			"window: the numbers used are recorded, before each file is written, in " +
			"`<data_dir>/file-batches/<channel>/<destination>.json` (if that file is lost or damaged, the folder " +
			"alone tells which numbers are used, as without a data directory).\n\n" +
			"Messages that the destination's steps encoded as JSON (`encode: json`, `fhir`) are gathered as NDJSON " +
			"instead, the format of FHIR Bulk Data files: each document on one line, ended by LF, with no envelope " +
			"(name such files `.ndjson` with `batch.file_name`). One batch file holds one kind; XML bodies cannot " +
			"be gathered and fail the flush with an error that says so.",
		Fields: []config.Field{
			{Name: keyPath, Type: config.String, Required: true,
				Description: "Folder to write to, a template (see above). A relative folder is relative to the directory " +
					"of the configuration file. In batch mode only `{{date}}`, `{{group}}` and `{{seq}}` are available.",
				Example: "/data/outbound/{{MSH-4}}/{{date:2006-01-02}}"},
			{Name: keyName, Type: config.String, Default: "{{MSH-10}}.hl7",
				Description: "File name, a template (see above); it may hold slashes for subfolders " +
					"(`{{MSH-9.1}}/{{MSH-10}}.hl7`) but no `..`. Not used in batch mode: see `batch.file_name`.",
				Example: "{{MSH-9.1}}_{{MSH-9.2}}/{{MSH-10}}_{{seq}}.hl7"},
			{Name: keyExists, Type: config.String, Default: existsSuffix, Enum: []string{existsSuffix, existsOverwrite, existsFail},
				Description: "What to do when the name is taken: `suffix` writes `name-1.hl7`, `name-2.hl7`...; " +
					"`overwrite` replaces the file; `fail` fails the delivery (it is retried). Batch files are always " +
					"replaced, since a retried batch writes the same file again.",
				Example: existsOverwrite},
			{Name: keyTerminator, Type: config.String, Default: termCR, Enum: []string{termCR, termLF, termCRLF},
				Description: "Segment terminator in the files: `cr`, HL7's own (a message that has CRs is written byte " +
					"for byte), or `lf` or `crlf` for systems that read lines.",
				Example: termCRLF},
			{Name: keyFileMode, Type: config.String, Default: "0640", Pattern: `^0?[0-7]{3}$`,
				Description: "Permissions of the files written, in octal.", Example: "0644"},
			{Name: keyDirMode, Type: config.String, Default: "0750", Pattern: `^0?[0-7]{3}$`,
				Description: "Permissions of the folders created, in octal.", Example: "0755"},
			{Name: keyTimeZone, Type: config.String, Default: "Local",
				Description: "Time zone of `{{date}}` and of `batch.schedule`: an IANA name, `UTC`, or `Local` (the zone " +
					"of the machine Courier runs on).",
				Example: "Europe/Berlin"},
			{Name: keyBatch, Type: config.Object, Description: "Gather messages into batch files instead of writing " +
				"one file per message (see above).",
				Example: map[string]any{keySchedule: "0 2 * * *", keyName: "billing-{{group}}.hl7"},
				Fields: []config.Field{
					{Name: keySchedule, Type: config.String, Default: "0 0 * * *",
						Description: "When batches are written, in cron syntax: five fields, minute hour day-of-month " +
							"month day-of-week, each `*`, a value, a range `1-5`, a step `*/15` or `0-30/10`, or a list " +
							"`1,15`; months and days also by name (`JAN`, `MON-FRI`); when day of month and day of week " +
							"are both given, either matches. `@daily`, `@hourly`, `@weekly`, `@monthly` and `@yearly` " +
							"also work. No seconds field. Times are in `time_zone`; a time skipped when clocks go " +
							"forward fires at the jump, a time repeated when they go back fires once. Default: midnight.",
						Example: "30 1 * * MON-FRI"},
					{Name: keyMaxMessages, Type: config.Int, Default: 0, Min: config.Bound(0),
						Description: "Write a batch as soon as it holds this many messages, without waiting for the " +
							"schedule. 0: no limit. A batch never holds more.",
						Example: 5000},
					{Name: keyName, Type: config.String, Default: "{{group}}.hl7",
						Description: "Batch file name, a template with `{{group}}` (the group's name), `{{date:LAYOUT}}` " +
							"(the time its window opened) and `{{seq}}` (the batch's number in its window: 1, 2...). It must " +
							"contain `{{group}}`, or `{{seq}}` and `{{date}}` (in it or in `path`), so that each batch gets its " +
							"own file: `{{seq}}` starts again at 1 in each window, so the `{{date}}` layout must tell the " +
							"windows apart (`20060102` for a daily schedule, `20060102-1504` for a shorter one).",
						Example: "BILL_{{date:20060102}}_{{seq}}.txt"},
					{Name: keyEnvelope, Type: config.String, Default: envelopeFile, Enum: []string{envelopeFile, envelopeBatch, envelopeNone},
						Description: "Segments around the messages: `file` (FHS, BHS ... BTS, FTS), `batch` (BHS ... BTS), or " +
							"`none` (the messages one after another).",
						Example: envelopeBatch},
					{Name: keySendingApp, Type: config.String, Default: "", Description: "FHS-3 and BHS-3, sending application. " + hd, Example: "COURIER"},
					{Name: keySendingFac, Type: config.String, Default: "", Description: "FHS-4 and BHS-4, sending facility. " + hd, Example: "GENERAL_HOSPITAL"},
					{Name: keyReceiveApp, Type: config.String, Default: "", Description: "FHS-5 and BHS-5, receiving application. " + hd, Example: "BILLING"},
					{Name: keyReceiveFac, Type: config.String, Default: "", Description: "FHS-6 and BHS-6, receiving facility. " + hd, Example: "BILLING_BUREAU"},
					{Name: keyComment, Type: config.String, Default: "", Description: "FHS-10 and BHS-10, a comment; escaped as HL7 text.", Example: "daily charges"},
				}},
		},
		Examples: []string{
			"type: file\npath: /data/outbound/adt\n",
			"type: file\npath: out/{{date:2006/01/02}}\nfile_name: \"{{MSH-9.1}}/{{MSH-10}}.hl7\"\nexists: fail\nsegment_terminator: crlf\nfile_mode: \"0644\"\ntime_zone: America/New_York\n",
			"type: file\npath: /data/outbound/billing\ntime_zone: Europe/Berlin\nbatch:\n  schedule: \"0 2 * * *\"\n  max_messages: 5000\n  file_name: \"billing-{{group}}.hl7\"\n  sending_application: COURIER\n  sending_facility: GENERAL_HOSPITAL\n  receiving_application: BILLING\n  comment: daily charges\n",
		},
	}
}

func init() {
	connector.MustRegisterDestination(DestinationSpec(), NewDestination)
}

// Placeholders each kind of template may use.
var (
	messageParts = []partKind{partPath, partID, partSeq, partDate}
	batchParts   = []partKind{partDate, partGroup, partSeq}
)

// NewDestination builds a file destination from its configuration: a connector.Batcher when
// it has a batch object.
func NewDestination(n *config.Node, deps connector.Deps) (connector.Destination, error) {
	var errs config.Errors
	d := &destination{
		root:   resolve(deps.BaseDir, "."),
		exists: n.String(keyExists),
		term:   n.String(keyTerminator),
		log:    deps.Logger,
	}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	d.log = d.log.With("type", "file") // the destination's name comes with deps.Logger
	loc, err := time.LoadLocation(n.String(keyTimeZone))
	if err != nil {
		errs = append(errs, n.Errorf(keyTimeZone, "unknown time zone %q: use an IANA name like Europe/Berlin, UTC or Local", n.String(keyTimeZone)))
		loc = time.UTC
	}
	d.loc = loc
	for _, m := range []struct {
		key  string
		mode *fs.FileMode
	}{{keyFileMode, &d.opts.fileMode}, {keyDirMode, &d.opts.dirMode}} {
		v, err := strconv.ParseUint(n.String(m.key), 8, 32)
		if err != nil {
			errs = append(errs, n.Errorf(m.key, "%q is not an octal mode like 0640", n.String(m.key)))
		}
		*m.mode = fs.FileMode(v)
	}
	batch := n.Has(keyBatch)
	parts := messageParts
	if batch {
		parts = batchParts
	}
	if d.dir, err = parseTemplate(n.String(keyPath), parts...); err != nil {
		errs = append(errs, n.Errorf(keyPath, "%v", err))
	} else if strings.TrimSpace(n.String(keyPath)) == "" {
		errs = append(errs, n.Errorf(keyPath, "give the folder to write to"))
	}
	if !batch {
		if d.name, err = parseTemplate(n.String(keyName), parts...); err != nil {
			errs = append(errs, n.Errorf(keyName, "%v", err))
		} else if err := checkNameTemplate(d.name); err != nil {
			errs = append(errs, n.Errorf(keyName, "%v", err))
		}
		if err := errs.Err(); err != nil {
			return nil, err
		}
		return d, nil
	}

	bn := n.Object(keyBatch)
	if n.Has(keyName) {
		errs = append(errs, n.Errorf(keyName, "with batch, name the files with batch.file_name"))
	}
	if n.Has(keyExists) {
		errs = append(errs, n.Errorf(keyExists, "exists does not apply with batch: a batch file is always replaced, since a retried batch writes the same file again"))
	}
	b := &batchDestination{d: d, max: bn.Int(keyMaxMessages), envelope: bn.String(keyEnvelope), nextSeq: map[string]int{},
		state: batchStatePath(deps.DataDir, deps.Channel, deps.Name)}
	if b.sched, err = parseCron(bn.String(keySchedule), loc); err != nil {
		errs = append(errs, bn.Errorf(keySchedule, "schedule %q: %v", bn.String(keySchedule), err))
	}
	if b.name, err = parseTemplate(bn.String(keyName), batchParts...); err != nil {
		errs = append(errs, bn.Errorf(keyName, "%v", err))
	} else if err := checkNameTemplate(b.name); err != nil {
		errs = append(errs, bn.Errorf(keyName, "%v", err))
	} else if uses := func(k partKind) bool { return b.name.uses(k) || d.dir != nil && d.dir.uses(k) }; !uses(partGroup) && !(uses(partSeq) && uses(partDate)) {
		// {{seq}} alone starts again at 1 in every window: each day's first batch would
		// take (and replace) the name of the day before's.
		errs = append(errs, bn.Errorf(keyName, "the batch file name must contain {{group}}, or {{seq}} and {{date}}, so that each batch gets its own file"))
	}
	fields := []struct {
		key string
		set func(*hl7.Envelope, string)
	}{
		{keySendingApp, func(e *hl7.Envelope, v string) { e.SendingApplication = v }},
		{keySendingFac, func(e *hl7.Envelope, v string) { e.SendingFacility = v }},
		{keyReceiveApp, func(e *hl7.Envelope, v string) { e.ReceivingApplication = v }},
		{keyReceiveFac, func(e *hl7.Envelope, v string) { e.ReceivingFacility = v }},
		{keyComment, func(e *hl7.Envelope, v string) { e.Comment = v }},
	}
	for _, f := range fields {
		v := bn.String(f.key)
		f.set(&b.env, v)
		var one hl7.Envelope
		f.set(&one, v)
		if _, err := one.FHS(); err != nil {
			errs = append(errs, bn.Errorf(f.key, "%q cannot go into FHS: %v", v, err))
		}
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return b, nil
}

// destination writes each message to its own file.
type destination struct {
	root   string // the configuration file's directory
	dir    *template
	name   *template
	exists string
	term   string
	opts   writeOpts
	loc    *time.Location
	log    *slog.Logger
}

var _ connector.Destination = (*destination)(nil)

// Send writes one message to its file.
func (d *destination) Send(ctx context.Context, out *connector.Outbound) (connector.Response, error) {
	if err := ctx.Err(); err != nil {
		return connector.Response{}, err
	}
	received := out.Received
	if received.IsZero() {
		received = time.Now()
	}
	v := tmplValues{msg: out.Message, id: out.MessageID, seq: out.EntryID, date: received.In(d.loc)}
	full := filepath.Join(d.folder(v), filepath.FromSlash(d.name.expand(v)))
	var write func(w io.Writer) error
	if out.ContentType != "" {
		// What an encode or fhir step made (JSON, XML) is written as it is: segment
		// terminators are HL7's, not theirs.
		write = func(w io.Writer) error { _, err := w.Write(out.Content); return err }
	} else {
		data := toCR(out.Content)
		write = func(w io.Writer) error { _, err := terminated(w, d.term).Write(data); return err }
	}
	final, err := writeAtomic(filepath.Dir(full), filepath.Base(full), write, d.opts, d.exists)
	if err != nil {
		return connector.Response{}, fmt.Errorf("file destination: %w", err)
	}
	d.log.Debug("message written", "file", final, "message", out.MessageID, "control_id", out.Meta.ControlID)
	return connector.Response{OK: true, Code: "WRITTEN", Raw: []byte(final)}, nil
}

// folder returns the folder the path template gives for v, absolute.
func (d *destination) folder(v tmplValues) string {
	return resolve(d.root, d.dir.expand(v))
}

// Close implements connector.Destination; files are closed as they are written.
func (d *destination) Close(context.Context) error { return nil }
