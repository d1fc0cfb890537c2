package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/courier-hl7/courier/internal/connector"
	"github.com/courier-hl7/courier/internal/engine"
	"github.com/courier-hl7/courier/internal/store"
	"github.com/courier-hl7/courier/internal/store/sqlite"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// RunOptions configure Run.
type RunOptions struct {
	File   string          // courier.yaml; empty runs the embedded default
	Env    *connector.Env  // default connector.Global()
	Out    io.Writer       // where the start-up summary is printed (default os.Stdout)
	Logs   io.Writer       // where logs go (default os.Stderr)
	Reload <-chan struct{} // each value reloads the configuration; nil: SIGHUP does
	// Started, when set, receives the running engine once every channel has been started.
	Started func(*engine.Engine)
}

// Run runs Courier until ctx is done (SIGTERM, SIGINT), then shuts down in order within the
// configured shutdown timeout: sources stop, messages in flight are stored and answered,
// sends in flight finish and are recorded, the store is closed last.
func Run(ctx context.Context, o RunOptions) error {
	if o.Env == nil {
		o.Env = connector.Global()
	}
	if o.Out == nil {
		o.Out = os.Stdout
	}
	if o.Logs == nil {
		o.Logs = os.Stderr
	}
	var eng *engine.Engine
	var st store.Store
	lookup := func(name string) (connector.Receiver, bool) {
		if eng == nil {
			return nil, false
		}
		return eng.Receiver(name)
	}
	getStore := func() store.Store { return st }
	plan, err := Load(LoadOptions{File: o.File, Env: o.Env, Receiver: lookup, Logs: o.Logs, Store: getStore})
	if err != nil {
		return err
	}
	s, log := plan.Settings, plan.Logger
	if err := os.MkdirAll(s.DataDir, 0o750); err != nil {
		closePlan(plan)
		return fmt.Errorf("create data directory: %w", err)
	}
	lock, err := lockStore(s.StorePath)
	if err != nil {
		closePlan(plan)
		return err
	}
	defer lock.release() // after the store is closed: every return below closes it first
	st, err = openStore(ctx, s, log)
	if err != nil {
		closePlan(plan)
		return err
	}
	if s.NodeID == "" {
		if s.NodeID, err = defaultNodeID(s.StorePath); err != nil {
			closePlan(plan)
			st.Close()
			return err
		}
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	eng, err = engine.New(engine.Options{Store: st, NodeID: s.NodeID, Logger: log, Registerer: reg})
	if err != nil {
		closePlan(plan)
		st.Close()
		return err
	}
	for _, c := range plan.Channels {
		if err := eng.Add(c); err != nil {
			st.Close()
			return err
		}
	}
	var metricsSrv *http.Server
	if s.MetricsListen != "" {
		if metricsSrv, err = serveMetrics(s.MetricsListen, reg, log); err != nil {
			st.Close()
			return err
		}
	}
	if err := eng.Start(ctx); err != nil {
		// One channel failing to start does not stop the others; it is reported. When none
		// started, nothing would be served: say so and exit, rather than run idle.
		if len(plan.Channels) > 0 && noneRunning(eng) {
			printSummary(o.Out, plan, eng, metricsSrv)
			sctx, cancel := context.WithTimeout(context.Background(), s.ShutdownTimeout)
			defer cancel()
			_ = eng.Stop(sctx)
			if metricsSrv != nil {
				_ = metricsSrv.Shutdown(sctx)
			}
			_ = st.Close()
			return fmt.Errorf("no channel started (fix what is above, such as a port in use, and start again): %w", err)
		}
		log.Error("some channels did not start", "err", err)
	}
	printSummary(o.Out, plan, eng, metricsSrv)
	warnStrandedQueues(ctx, st, plan.Channels, log)
	if o.Started != nil {
		o.Started(eng)
	}
	stopRetention := startRetention(st, s, log)

	reload := o.Reload
	if reload == nil {
		hup := make(chan os.Signal, 1)
		signal.Notify(hup, syscall.SIGHUP)
		defer signal.Stop(hup)
		r := make(chan struct{})
		go func() {
			for range hup {
				r <- struct{}{}
			}
		}()
		reload = r
	}
	for done := false; !done; {
		select {
		case <-ctx.Done():
			done = true
		case <-reload:
			doReload(ctx, eng, st, plan.Settings, LoadOptions{File: o.File, Env: o.Env, Receiver: lookup, Logs: o.Logs, Store: getStore}, log)
		}
	}

	log.Info("shutting down", "timeout", s.ShutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), s.ShutdownTimeout)
	defer cancel()
	stopRetention()
	err = eng.Stop(sctx)
	if metricsSrv != nil {
		_ = metricsSrv.Shutdown(sctx)
	}
	if cerr := st.Close(); cerr != nil {
		err = errors.Join(err, fmt.Errorf("close store: %w", cerr))
	}
	if err != nil {
		log.Error("shutdown", "err", err)
		return err
	}
	log.Info("stopped")
	return nil
}

// defaultNodeID names this node when node_id is not set: the name kept in a file beside the
// store's database, written with the host name the first time. A node takes back the leases
// of its last run by its name; with the host name itself, a node whose host name changes (a
// container started again) would leave its old leases to expire, holding strict queues for
// minutes.
func defaultNodeID(storePath string) (string, error) {
	file := filepath.Join(filepath.Dir(storePath), "node-id")
	if b, err := os.ReadFile(file); err == nil {
		if id := strings.TrimSpace(string(b)); id != "" {
			return id, nil
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("read the node's name: %w (set server.node_id, or make the file readable)", err)
	}
	id, err := os.Hostname()
	if err != nil || id == "" {
		id = "courier"
	}
	if err := os.WriteFile(file, []byte(id+"\n"), 0o640); err != nil {
		return "", fmt.Errorf("keep the node's name: %w (set server.node_id, or make the folder writable)", err)
	}
	return id, nil
}

// noneRunning reports whether every channel failed to start.
func noneRunning(eng *engine.Engine) bool {
	for _, c := range eng.Status() {
		if c.State != engine.StateFailed {
			return false
		}
	}
	return true
}

// doReload reads the configuration again and restarts the channels whose configuration
// changed. A configuration with errors is refused and everything keeps running. running
// are the settings Courier started with: the server and store settings are not reloaded,
// and a change to them is reported rather than silently ignored.
func doReload(ctx context.Context, eng *engine.Engine, st store.Store, running Settings, lo LoadOptions, log *slog.Logger) {
	plan, err := Load(lo)
	if err != nil {
		log.Error("reload refused: the configuration has errors; the running configuration stays", "err", err)
		return
	}
	if keys := restartOnly(running, plan.Settings); len(keys) > 0 {
		log.Warn("reload: these settings take effect only when Courier restarts; the running values stay",
			"settings", strings.Join(keys, ","))
	}
	defer warnStrandedQueues(ctx, st, plan.Channels, log)
	before := map[string]bool{}
	for _, c := range eng.Status() {
		before[c.Name] = true
	}
	changed, err := eng.Reload(ctx, plan.Channels)
	if err != nil {
		log.Error("reload", "err", err)
	}
	// Channels that did not change keep running with their own connectors; the ones just
	// built for them are not needed.
	for _, c := range plan.Channels {
		if !slices.Contains(changed, c.Name) {
			for _, d := range c.Destinations {
				_ = d.Dest.Close(ctx)
			}
		}
	}
	after := map[string]bool{}
	for _, c := range plan.Channels {
		after[c.Name] = true
	}
	var restarted, started, stopped []string
	for _, name := range changed {
		switch {
		case before[name] && after[name]:
			restarted = append(restarted, name)
		case after[name]:
			started = append(started, name)
		default:
			stopped = append(stopped, name)
		}
	}
	log.Info("configuration reloaded", "restarted", strings.Join(restarted, ","),
		"started", strings.Join(started, ","), "stopped", strings.Join(stopped, ","))
}

func openStore(ctx context.Context, s Settings, log *slog.Logger) (store.Store, error) {
	switch s.StoreDriver {
	case "sqlite", "":
		if err := createPrivate(s.StorePath); err != nil {
			return nil, fmt.Errorf("open store %s: %w", s.StorePath, err)
		}
		st, err := sqlite.Open(ctx, s.StorePath, sqlite.Options{Logger: log.With("component", "store")})
		if err != nil {
			return nil, fmt.Errorf("open store %s: %w", s.StorePath, err)
		}
		return st, nil
	}
	return nil, fmt.Errorf("unknown store driver %q", s.StoreDriver)
}

// createPrivate creates the store's database file, empty, readable by its owner and group
// only, when it does not exist yet. SQLite would create it with 0644 less the umask, readable
// by every user of the machine, and gives its -wal and -shm files the database's permissions:
// message content is stored as received (patient data), and the folder around a store.path
// may be open to all. An existing file keeps the permissions its operator gave it.
func createPrivate(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return f.Close()
}

func newLogger(w io.Writer, s Settings) *slog.Logger {
	opts := &slog.HandlerOptions{Level: s.LogLevel}
	if s.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func serveMetrics(addr string, reg *prometheus.Registry, log *slog.Logger) (*http.Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics listener: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, Addr: ln.Addr().String()}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics server", "err", err)
		}
	}()
	return srv, nil
}

// startRetention prunes old content and messages in the background, a small batch at a time
// so that receiving never waits long.
func startRetention(st store.Store, s Settings, log *slog.Logger) func() {
	if s.PruneContent <= 0 && s.DeleteAfter <= 0 {
		return func() {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(time.Minute)
		defer t.Stop()
		for {
			for _, job := range []struct {
				age time.Duration
				all bool
			}{{s.DeleteAfter, true}, {s.PruneContent, false}} {
				if job.age <= 0 {
					continue
				}
				total := 0
				for ctx.Err() == nil {
					n, err := st.Prune(ctx, time.Now().Add(-job.age), job.all, 500)
					if err != nil {
						log.Error("retention", "err", err)
						break
					}
					total += n
					if n < 500 {
						break
					}
					time.Sleep(50 * time.Millisecond)
				}
				if total > 0 {
					if job.all {
						log.Info("retention: messages deleted, with their history", "messages", total, "older_than", job.age.String())
					} else {
						log.Info("retention: content removed, metadata and history kept", "messages", total, "older_than", job.age.String())
					}
				}
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return func() { cancel(); <-done }
}

// printSummary tells the operator where things are.
func printSummary(w io.Writer, p *Plan, eng *engine.Engine, metrics *http.Server) {
	src := "the embedded default configuration"
	if p.File != "" {
		src = p.File
	}
	fmt.Fprintf(w, "Courier is running (%s).\n", src)
	fmt.Fprintf(w, "  store:    %s (%s)\n", p.Settings.StorePath, p.Settings.StoreDriver)
	for _, c := range p.Channels {
		state := ""
		for _, cs := range eng.Status() {
			if cs.Name == c.Name {
				state = string(cs.State)
				if cs.Error != "" {
					state += ": " + cs.Error
				}
			}
		}
		line := fmt.Sprintf("  channel:  %s [%s]", c.Name, state)
		if d, ok := c.Source.(fmt.Stringer); ok {
			line += " ← " + d.String()
		}
		for _, d := range c.Destinations {
			line += " → " + d.Name
		}
		fmt.Fprintln(w, line)
	}
	for _, d := range p.Disabled {
		fmt.Fprintf(w, "  channel:  %s [disabled]\n", d)
	}
	if metrics != nil {
		fmt.Fprintf(w, "  metrics:  http://%s/metrics\n", metrics.Addr)
	}
	fmt.Fprintln(w, "Stop with Ctrl-C (SIGTERM); reload the configuration with SIGHUP.")
}

// restartOnly names the server and store settings that differ between the running
// configuration and a reloaded one: a reload restarts channels only, so these keep their
// running values until Courier restarts.
func restartOnly(running, next Settings) []string {
	var keys []string
	for _, c := range []struct {
		key     string
		changed bool
	}{
		{"server.node_id", running.NodeID != next.NodeID},
		{"server.data_dir", running.DataDir != next.DataDir},
		{"server.log.level", running.LogLevel != next.LogLevel},
		{"server.log.format", running.LogFormat != next.LogFormat},
		{"server.metrics_listen", running.MetricsListen != next.MetricsListen},
		{"server.shutdown_timeout", running.ShutdownTimeout != next.ShutdownTimeout},
		{"store.driver", running.StoreDriver != next.StoreDriver},
		{"store.path", running.StorePath != next.StorePath},
		{"store.prune_content_after", running.PruneContent != next.PruneContent},
		{"store.delete_after", running.DeleteAfter != next.DeleteAfter},
	} {
		if c.changed {
			keys = append(keys, c.key)
		}
	}
	return keys
}

// warnStrandedQueues warns about queues that hold entries waiting for a destination no
// running channel has: after a destination or channel is renamed, removed or disabled, its
// queued messages (acknowledged to their senders) are delivered by nothing, and nothing else
// would say so. The warning says what to do: configure the destination again under its old
// name, or skip the entries.
func warnStrandedQueues(ctx context.Context, st store.Store, channels []engine.ChannelConfig, log *slog.Logger) {
	running := map[[2]string]bool{}
	for _, c := range channels {
		for _, d := range c.Destinations {
			running[[2]string{c.Name, d.Name}] = true
		}
	}
	stats, err := st.Stats(ctx)
	if err != nil {
		log.Error("check queues for destinations no longer configured", "err", err)
		return
	}
	for _, q := range stats {
		waiting := q.Pending + q.Held + q.Errors
		if waiting == 0 || running[[2]string{q.Channel, q.Destination}] {
			continue
		}
		log.Warn("entries wait for a destination that is not running: they will not be delivered until a channel "+
			"configures it again under this name, or an operator skips them (courier messages skip)",
			"channel", q.Channel, "destination", q.Destination, "waiting", q.Pending, "held", q.Held, "errors", q.Errors)
	}
}
