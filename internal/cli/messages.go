package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/user"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/courier-hl7/courier/internal/connector"
	"github.com/courier-hl7/courier/internal/engine"
	"github.com/courier-hl7/courier/internal/server"
	"github.com/courier-hl7/courier/internal/store"
	"github.com/courier-hl7/courier/internal/store/sqlite"
	"github.com/spf13/cobra"
)

// storeFlags locate the store: a database file, or the configuration that names it.
type storeFlags struct {
	db, config string
}

func (f *storeFlags) add(cmd *cobra.Command) {
	cmd.PersistentFlags().StringVar(&f.db, "db", "", "store database file (default: the one the configuration names, or ./courier-data/courier.db)")
	cmd.PersistentFlags().StringVarP(&f.config, "config", "c", "", "configuration file (courier.yaml) that names the store")
}

// open opens the store. A running Courier may hold the same database: SQLite lets both work,
// and the running engine picks up changes (retries, skips, reprocessed messages) within its
// poll interval.
func (f *storeFlags) open(ctx context.Context) (store.Store, error) {
	path := f.db
	if path == "" {
		p, err := server.Load(server.LoadOptions{File: f.config, Env: connector.Global()})
		if err != nil {
			return nil, err
		}
		path = p.Settings.StorePath
		server.Close(p)
	}
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("no store at %s (give --db or --config): %w", path, err)
	}
	return sqlite.Open(ctx, path, sqlite.Options{Logger: slog.New(slog.DiscardHandler)})
}

func actor() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return "cli:" + u.Username
	}
	return "cli"
}

func newMessagesCmd() *cobra.Command {
	var sf storeFlags
	cmd := &cobra.Command{
		Use:   "messages",
		Short: "Search, show, retry, skip and reprocess stored messages",
		Long: `Messages works on the store directly, also while Courier runs: list and show messages with
their deliveries, attempts and history; retry or skip a delivery that gave up; reprocess a
message through its channel again. Every action is recorded in the message's history with
who did it.`,
	}
	sf.add(cmd)
	cmd.AddCommand(newMessagesListCmd(&sf), newMessagesShowCmd(&sf), newMessagesRetryCmd(&sf, false),
		newMessagesRetryCmd(&sf, true), newMessagesReprocessCmd(&sf), newQueuesCmd(&sf))
	return cmd
}

func newMessagesListCmd(sf *storeFlags) *cobra.Command {
	var q store.Query
	var status, since string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List messages, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := sf.open(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			q.Status = store.MessageStatus(strings.ToUpper(status))
			if q.Status != "" && !slices.Contains(messageStatuses, q.Status) {
				return fmt.Errorf("--status %s: use one of %s", status, strings.Join(statusNames(), ", "))
			}
			if since != "" {
				d, err := time.ParseDuration(since)
				if err != nil {
					return fmt.Errorf("--since %s: %w (write 24h, 30m...)", since, err)
				}
				q.From = time.Now().Add(-d)
			}
			ms, err := st.Messages(cmd.Context(), q)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), ms)
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "ID\tRECEIVED\tCHANNEL\tTYPE\tCONTROL ID\tPATIENT\tSTATUS\tERROR")
			for _, m := range ms {
				typ := m.Meta.Type
				if m.Meta.Trigger != "" {
					typ += "^" + m.Meta.Trigger
				}
				fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", m.ID, m.ReceivedAt.Local().Format("2006-01-02 15:04:05"), m.Channel, typ, m.Meta.ControlID, m.Meta.PatientID, m.Status, clip(m.Error, 60))
			}
			return w.Flush()
		},
	}
	f := cmd.Flags()
	f.StringVar(&q.Channel, "channel", "", "only this channel")
	f.StringVar(&status, "status", "", "only this status: "+strings.Join(statusNames(), ", "))
	f.StringVar(&q.Type, "type", "", "only this message type (MSH-9.1)")
	f.StringVar(&q.Trigger, "trigger", "", "only this trigger event (MSH-9.2)")
	f.StringVar(&q.ControlID, "control-id", "", "only this control ID (MSH-10), as stored or as received (a split's parts)")
	f.StringVar(&q.PatientID, "patient", "", "only this patient identifier (PID-3.1)")
	f.StringVar(&since, "since", "", "only messages received within this long (24h)")
	f.Int64Var(&q.BeforeID, "before", 0, "only messages with a smaller ID (to page back)")
	f.IntVar(&q.Limit, "limit", 50, "at most this many")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// messageStatuses are the statuses `messages list --status` accepts.
var messageStatuses = []store.MessageStatus{store.StatusQueued, store.StatusSent, store.StatusFiltered, store.StatusError, store.StatusReceived}

func statusNames() []string {
	names := make([]string, len(messageStatuses))
	for i, s := range messageStatuses {
		names[i] = string(s)
	}
	return names
}

func newMessagesShowCmd(sf *storeFlags) *cobra.Command {
	var content, asJSON bool
	cmd := &cobra.Command{
		Use:   "show ID",
		Short: "Show a message with its deliveries, attempts and history",
		Long: `Show prints a message's metadata, its destination entries, every delivery attempt with the
answer received, and its history. The content (patient data) is printed only with --content,
and that view is recorded in the message's history.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil {
				return fmt.Errorf("message ID %q is not a number", args[0])
			}
			st, err := sf.open(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			m, err := st.Message(cmd.Context(), id)
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("no message %d", id)
			}
			if err != nil {
				return err
			}
			if content && !m.Pruned {
				// Who looked at patient data is part of the audit trail; a pruned message
				// shows none.
				_ = st.AddEvent(cmd.Context(), store.Event{MessageID: id, Time: time.Now(), Kind: "viewed", Actor: actor(), Detail: "content shown by courier messages show"})
			} else if !content {
				m.Raw, m.Processed, m.Ack = nil, nil, nil
				for _, a := range m.Attempts {
					a.Response = nil
				}
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), m)
			}
			printMessage(cmd.OutOrStdout(), m, content)
			return nil
		},
	}
	cmd.Flags().BoolVar(&content, "content", false, "also print the message content and the answers received (recorded as a view)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func printMessage(w io.Writer, m *store.Message, content bool) {
	fmt.Fprintf(w, "Message %d  %s\n", m.ID, m.Status)
	fmt.Fprintf(w, "  channel      %s\n  received     %s\n", m.Channel, m.ReceivedAt.Local().Format(time.RFC3339Nano))
	if m.Remote != "" {
		fmt.Fprintf(w, "  from         %s\n", m.Remote)
	}
	if m.File != "" {
		fmt.Fprintf(w, "  file         %s\n", m.File)
	}
	fmt.Fprintf(w, "  type         %s^%s (%s), version %s\n", m.Meta.Type, m.Meta.Trigger, m.Meta.Structure, m.Meta.Version)
	controlID := m.Meta.ControlID
	if m.ReceivedControlID != "" {
		controlID += " (received as " + m.ReceivedControlID + ")"
	}
	fmt.Fprintf(w, "  control ID   %s\n  sender       %s / %s\n  patient      %s\n  size         %d bytes\n", controlID, m.Meta.SendingApp, m.Meta.SendingFacility, m.Meta.PatientID, m.Size)
	if m.Error != "" {
		fmt.Fprintf(w, "  error        %s\n", m.Error)
	}
	if m.SameContentAs != 0 {
		fmt.Fprintf(w, "  same content as message %d (a resend under a new control ID?)\n", m.SameContentAs)
	}
	if m.Reprocessed != 0 {
		fmt.Fprintf(w, "  reprocessed from message %d\n", m.Reprocessed)
	}
	if m.Pruned {
		fmt.Fprintln(w, "  content pruned by retention")
	}
	if len(m.Entries) > 0 {
		fmt.Fprintln(w, "Deliveries:")
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  ENTRY\tDESTINATION\tSTATE\tATTEMPTS\tNEXT ATTEMPT\tLAST ERROR")
		for _, e := range m.Entries {
			next := ""
			if e.State == store.EntryPending && !e.NextAttemptAt.IsZero() {
				next = e.NextAttemptAt.Local().Format("15:04:05")
			}
			fmt.Fprintf(tw, "  %d\t%s\t%s\t%d\t%s\t%s\n", e.ID, e.Destination, e.State, e.Attempts, next, clip(e.LastError, 60))
		}
		tw.Flush()
	}
	if len(m.Attempts) > 0 {
		fmt.Fprintln(w, "Attempts:")
		for _, a := range m.Attempts {
			fmt.Fprintf(w, "  entry %d #%d  %s  %s  %s  %s\n", a.EntryID, a.Number, a.Started.Local().Format("15:04:05.000"), a.Outcome, a.ResponseCode, a.Error)
			if content && len(a.Response) > 0 {
				fmt.Fprintf(w, "    answer: %s\n", oneLine(a.Response))
			}
		}
	}
	if len(m.Events) > 0 {
		fmt.Fprintln(w, "History:")
		for _, ev := range m.Events {
			fmt.Fprintf(w, "  %s  %-11s %-8s %s\n", ev.Time.Local().Format("2006-01-02 15:04:05.000"), ev.Kind, ev.Actor, ev.Detail)
		}
	}
	if content && m.Pruned {
		fmt.Fprintln(w, "Content: removed by retention (store.prune_content_after); the metadata and history above remain.")
	} else if content {
		fmt.Fprintln(w, "Content:")
		fmt.Fprintln(w, indentLines(m.Raw))
		if len(m.Processed) > 0 {
			fmt.Fprintln(w, "After the channel's steps:")
			fmt.Fprintln(w, indentLines(m.Processed))
		}
		if len(m.Ack) > 0 {
			fmt.Fprintln(w, "Acknowledgement sent:")
			fmt.Fprintln(w, indentLines(m.Ack))
		}
	}
}

func indentLines(b []byte) string {
	s := strings.ReplaceAll(strings.ReplaceAll(string(b), "\r\n", "\n"), "\r", "\n")
	return "  " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n  ")
}

func oneLine(b []byte) string {
	return strings.ReplaceAll(strings.ReplaceAll(strings.TrimRight(string(b), "\r\n"), "\r", " | "), "\n", " | ")
}

func newMessagesRetryCmd(sf *storeFlags, skip bool) *cobra.Command {
	use, short := "retry ENTRY...", "Retry deliveries now (entries that gave up, or wait for their next attempt); a running Courier picks them up within 2 s"
	if skip {
		use, short = "skip ENTRY...", "Skip deliveries: they will not be sent, and the queue moves on"
	}
	return &cobra.Command{
		Use:   use,
		Short: short,
		Long:  short + ". ENTRY is a delivery's ID, as `courier messages show` lists it.",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := sf.open(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			for _, a := range args {
				id, err := strconv.ParseInt(a, 10, 64)
				if err != nil {
					return fmt.Errorf("entry ID %q is not a number", a)
				}
				if skip {
					err = st.Skip(cmd.Context(), id, actor())
				} else {
					err = st.Retry(cmd.Context(), id, actor())
				}
				if err != nil {
					return err // the store's error names the action and the entry
				}
				verb := "is due now (a running Courier sends it within 2 s)"
				if skip {
					verb = "skipped"
				}
				fmt.Fprintf(cmd.OutOrStdout(), "entry %d %s\n", id, verb)
			}
			return nil
		},
	}
}

func newMessagesReprocessCmd(sf *storeFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "reprocess ID...",
		Short: "Run stored messages through their channel again, as new messages",
		Long: `Reprocess takes a stored message's bytes as received and runs them through its channel again
— parsing, validation, steps, every destination — as a new message linked to the original
(no duplicate check). Use it after fixing a channel's configuration. It needs the configuration
(--config) to build the channel; a running Courier delivers the new message.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			st, err := sf.open(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			eng, err := engine.New(engine.Options{Store: st, NodeID: "cli-reprocess"})
			if err != nil {
				return err
			}
			defer eng.Stop(context.Background())
			plan, err := server.Load(server.LoadOptions{File: sf.config, Env: connector.Global(), Receiver: eng.Receiver, Store: func() store.Store { return st }})
			if err != nil {
				return err
			}
			defer server.Close(plan)
			for _, c := range plan.Channels {
				c.Source = nil // nothing is received here: only the pipeline runs
				if err := eng.Add(c); err != nil {
					return err
				}
			}
			for _, a := range args {
				id, err := strconv.ParseInt(a, 10, 64)
				if err != nil {
					return fmt.Errorf("message ID %q is not a number", a)
				}
				m, err := st.Message(ctx, id)
				if err != nil {
					return fmt.Errorf("message %d: %w", id, err)
				}
				if m.Raw == nil {
					return fmt.Errorf("message %d: its content was pruned", id)
				}
				r, ok := eng.Receiver(m.Channel)
				if !ok {
					if sf.config == "" {
						return fmt.Errorf("message %d: channel %q is not in the embedded default configuration: give --config FILE, the courier.yaml that defines it", id, m.Channel)
					}
					return fmt.Errorf("message %d: channel %q is not in %s", id, m.Channel, sf.config)
				}
				rep, err := r.Receive(ctx, &connector.Inbound{Raw: m.Raw, Remote: m.Remote, File: m.File, ReceivedAt: time.Now(), Reprocess: id})
				if err != nil {
					return fmt.Errorf("message %d: %w", id, err)
				}
				_ = st.AddEvent(ctx, store.Event{MessageID: id, Time: time.Now(), Kind: "reprocessed", Actor: actor(), Detail: fmt.Sprintf("as message %d", rep.MessageID)})
				fmt.Fprintf(cmd.OutOrStdout(), "message %d reprocessed as message %d\n", id, rep.MessageID)
			}
			return nil
		},
	}
}

func newQueuesCmd(sf *storeFlags) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "queues",
		Short: "Show every destination queue: waiting, errors, the oldest entry and what blocks it",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := sf.open(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			stats, err := st.Stats(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), stats)
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "CHANNEL\tDESTINATION\tWAITING\tHELD\tERRORS\tSENT\tOLDEST WAITING\tBLOCKED BY")
			for _, s := range stats {
				oldest, blocked := "", ""
				if !s.Oldest.IsZero() {
					oldest = s.Oldest.Local().Format("2006-01-02 15:04:05")
				}
				if b := s.BlockedBy; b != nil {
					blocked = fmt.Sprintf("entry %d (message %d, %s): %s", b.ID, b.MessageID, b.State, clip(b.LastError, 50))
				}
				fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%d\t%d\t%s\t%s\n", s.Channel, s.Destination, s.Pending, s.Held, s.Errors, s.Sent, oldest, blocked)
			}
			return w.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func clip(s string, n int) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
