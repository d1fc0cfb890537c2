package cli

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/courier-hl7/courier/internal/bench"
	"github.com/spf13/cobra"
)

func newBenchCmd() *cobra.Command {
	var o bench.Options
	var phases, cpuProfile, memProfile string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure Courier end to end on this machine: MLLP in, store, ACK, MLLP out",
		Long: `Bench streams ~1 KB ADT^A01 messages from concurrent MLLP senders into a real engine (SQLite
store, fsync on, acknowledgement after store) that delivers them over MLLP to a receiver, all on
loopback in this process. In the same run it measures the ceiling: the same senders against an
MLLP server that parses and acknowledges without storing. It reports acknowledged messages per
second, acknowledgement latency (p50, p99, max), the time to drain the queue, and memory
(heap and RSS) sampled during the run, so that a long run shows whether memory stays flat.

  courier bench                               # 32 senders, 20 s per phase
  courier bench --senders 32 --rate 5000      # latency at a fixed load
  courier bench --phases engine --duration 10m`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.Phases = strings.Split(phases, ",")
			if cpuProfile != "" {
				f, err := os.Create(cpuProfile)
				if err != nil {
					return err
				}
				defer f.Close()
				if err := pprof.StartCPUProfile(f); err != nil {
					return err
				}
				defer pprof.StopCPUProfile()
			}
			if !asJSON {
				o.Progress = func(s string) { fmt.Fprintln(cmd.ErrOrStderr(), s) }
			}
			if memProfile != "" {
				// Sample every 4 KiB allocated rather than every 512 KiB, so that small
				// allocations that stay (a leak) show up.
				runtime.MemProfileRate = 4096
				o.EngineDrained = func() error { return writeHeapProfile(memProfile) }
			}
			res, err := bench.Run(cmd.Context(), o)
			if asJSON {
				if werr := writeJSON(cmd.OutOrStdout(), res); werr != nil {
					return werr
				}
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', tabwriter.AlignRight)
			fmt.Fprintln(w, "phase\tacknowledged\tfailed\tmsg/s\tp50\tp99\tmax\tdelivered\tdrain\theap start\theap end\tGo max\tRSS max\t")
			for _, r := range res {
				fmt.Fprintf(w, "%s\t%d\t%d\t%.0f\t%s\t%s\t%s\t%d\t%.1fs\t%.1f MiB\t%.1f MiB\t%.1f MiB\t%.1f MiB\t\n", r.Phase, r.Sent, r.Failed, r.Rate,
					r.P50.Round(time.Microsecond), r.P99.Round(time.Microsecond), r.Max.Round(time.Microsecond), r.Delivered, r.DrainSecond,
					mib(r.HeapStart), mib(r.HeapEnd), mib(r.GoMax), mib(r.RSSMax))
			}
			w.Flush()
			if len(res) == 2 && res[0].Rate > 0 {
				fmt.Fprintf(cmd.OutOrStdout(), "engine / ceiling: %.0f%%\n", 100*res[1].Rate/res[0].Rate)
			}
			return err
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.Senders, "senders", 32, "concurrent MLLP senders")
	f.DurationVar(&o.Duration, "duration", 20*time.Second, "how long each phase streams")
	f.Float64Var(&o.Rate, "rate", 0, "messages per second in total (0: as fast as acknowledged)")
	f.IntVar(&o.Size, "size", 1024, "message size in bytes")
	f.StringVar(&o.Dir, "dir", "", "data directory for the engine's store (default: a temporary one, removed after)")
	f.StringVar(&phases, "phases", "ceiling,engine", "phases to run: ceiling, engine")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	f.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the run to this file (for go tool pprof)")
	f.StringVar(&memProfile, "memprofile", "", "write a heap profile to this file once the engine phase has drained, engine still running (for go tool pprof)")
	return cmd
}

// writeHeapProfile writes the live heap, after a collection, to path.
func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	runtime.GC()
	if err := pprof.WriteHeapProfile(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }
