package cli

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/courier-hl7/courier/hl7"
	"github.com/courier-hl7/courier/mllp"
	"github.com/spf13/cobra"
	"golang.org/x/term"
	"golang.org/x/time/rate"
)

// tlsFlags are the TLS options shared by send and listen.
type tlsFlags struct {
	on                    bool
	ca                    []string
	cert, key, serverName string
	clientAuth            string
	allowCN, allowDNS     []string
	minVersion            string
}

func (f *tlsFlags) add(cmd *cobra.Command, server bool) {
	fl := cmd.Flags()
	fl.BoolVar(&f.on, "tls", false, "use TLS (MLLPS); implied by the other --tls options")
	fl.StringArrayVar(&f.ca, "ca", nil, "PEM file of CAs: that sign the server's certificate (send) or clients' certificates (listen)")
	fl.StringVar(&f.cert, "cert", "", "PEM certificate: the client's (send, for mutual TLS) or the listener's")
	fl.StringVar(&f.key, "key", "", "PEM private key of --cert")
	fl.StringVar(&f.minVersion, "tls-min", "1.2", "oldest TLS version accepted: 1.2 or 1.3")
	fl.StringArrayVar(&f.allowCN, "allow-cn", nil, "accept only peer certificates with this subject common name (repeatable)")
	fl.StringArrayVar(&f.allowDNS, "allow-dns", nil, "accept only peer certificates with this DNS name (repeatable; *.example.org matches one label)")
	if server {
		fl.StringVar(&f.clientAuth, "client-auth", "none", "client certificates: none, optional or require")
	} else {
		fl.StringVar(&f.serverName, "server-name", "", "name to verify in the server's certificate (default: the host of --to)")
	}
}

func (f *tlsFlags) enabled() bool {
	return f.on || len(f.ca) > 0 || f.cert != "" || f.key != "" || f.serverName != "" || len(f.allowCN) > 0 || len(f.allowDNS) > 0 || (f.clientAuth != "" && f.clientAuth != "none")
}

func (f *tlsFlags) version() (uint16, error) {
	switch f.minVersion {
	case "", "1.2":
		return tls.VersionTLS12, nil
	case "1.3":
		return tls.VersionTLS13, nil
	}
	return 0, fmt.Errorf("--tls-min %s: use 1.2 or 1.3", f.minVersion)
}

func (f *tlsFlags) client() (*tls.Config, error) {
	if !f.enabled() {
		return nil, nil
	}
	v, err := f.version()
	if err != nil {
		return nil, err
	}
	o := mllp.ClientTLSOptions{ServerName: f.serverName, MinVersion: v, Peers: mllp.PeerPolicy{CommonNames: f.allowCN, DNSNames: f.allowDNS}}
	if len(f.ca) > 0 {
		if o.RootCAs, err = mllp.LoadCertPool(f.ca...); err != nil {
			return nil, err
		}
	}
	if (f.cert == "") != (f.key == "") {
		return nil, errors.New("--cert and --key go together")
	}
	if f.cert != "" {
		if o.Reloader, err = mllp.NewCertReloader(f.cert, f.key); err != nil {
			return nil, err
		}
	}
	return mllp.ClientTLS(o)
}

func (f *tlsFlags) server() (*tls.Config, error) {
	if !f.enabled() {
		return nil, nil
	}
	v, err := f.version()
	if err != nil {
		return nil, err
	}
	if f.cert == "" || f.key == "" {
		return nil, errors.New("a TLS listener needs --cert and --key")
	}
	rl, err := mllp.NewCertReloader(f.cert, f.key)
	if err != nil {
		return nil, err
	}
	o := mllp.ServerTLSOptions{Reloader: rl, MinVersion: v, Peers: mllp.PeerPolicy{CommonNames: f.allowCN, DNSNames: f.allowDNS}}
	switch f.clientAuth {
	case "", "none":
	case "optional":
		o.ClientAuth = mllp.OptionalClientCert
	case "require":
		o.ClientAuth = mllp.RequireClientCert
	default:
		return nil, fmt.Errorf("--client-auth %s: use none, optional or require", f.clientAuth)
	}
	if len(f.ca) > 0 {
		if o.ClientCAs, err = mllp.LoadCertPool(f.ca...); err != nil {
			return nil, err
		}
	} else if o.ClientAuth != mllp.NoClientCert {
		return nil, errors.New("--client-auth needs --ca, the CAs that sign client certificates")
	}
	return mllp.ServerTLS(o)
}

// sendStats gathers the outcome of every message.
type sendStats struct {
	mu        sync.Mutex
	sent      int
	codes     map[string]int
	failures  int
	latencies []time.Duration
	failOut   io.Writer
	// fileProblems counts files that are not HL7, hold no message, or whose batch envelope
	// does not add up: what they hold is still sent, but the run does not end well.
	fileProblems int
}

func (s *sendStats) add(code string, lat time.Duration, failed bool, raw []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sent++
	s.codes[code]++
	s.latencies = append(s.latencies, lat)
	if failed {
		s.failures++
		if s.failOut != nil {
			_, _ = s.failOut.Write(raw)
			if len(raw) > 0 && raw[len(raw)-1] != '\r' && raw[len(raw)-1] != '\n' {
				_, _ = s.failOut.Write([]byte{'\r'})
			}
		}
	}
}

func newSendCmd() *cobra.Command {
	var to, failures string
	var concurrency int
	var rateLimit float64
	var timeout, connectTimeout time.Duration
	var commit, quiet, keepEnds bool
	var tf tlsFlags
	cmd := &cobra.Command{
		Use:   "send --to HOST:PORT [FILE|-]...",
		Short: "Send messages over MLLP and summarise the acknowledgements",
		Long: `Send reads messages from files (one message, many, or FHS/BHS batches) or standard input,
sends each over MLLP, waits for its acknowledgement, and checks that MSA-2 answers its MSH-10.
Progress (count, rate, ETA) shows on a terminal, plain lines otherwise; a summary of the
acknowledgement codes and latencies ends the run. The exit status is 1 when any message was
answered AE, AR, CE or CR, timed out, or could not be sent, and when a file is not HL7, holds
no message, or has a batch envelope whose counts do not match its messages (the messages it
holds are still sent). Each message not accepted is named on its own line (file:line, the
code and MSA-3) unless --quiet is given.

Files often end lines with LF or CR LF; MLLP receivers expect segments ended by CR, so send
rewrites those line ends to CR (and nothing else) unless --keep-line-ends is given.

  courier send --to 127.0.0.1:2575 adt.hl7
  courier send --to lis.lab.example:2576 --tls --ca lab-ca.pem --concurrency 8 --rate 200 batch.hl7
  courier send --to 127.0.0.1:2575 --failures failed.hl7 today/*.hl7`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if to == "" {
				return errors.New("--to HOST:PORT is required")
			}
			if concurrency < 1 {
				return fmt.Errorf("--concurrency %d: give 1 or more connections", concurrency)
			}
			if rateLimit < 0 {
				return fmt.Errorf("--rate %g: give a positive number of messages per second, or 0 for no limit", rateLimit)
			}
			// Every file must be there before the first message goes: a typo in the third name
			// must not leave a run half sent.
			if err := checkInputs(args); err != nil {
				return err
			}
			tlsCfg, err := tf.client()
			if err != nil {
				return err
			}
			client := &mllp.Client{Addr: to, TLSConfig: tlsCfg, ACKTimeout: timeout, ConnectTimeout: connectTimeout, PoolSize: concurrency, CommitAcks: commit}
			if err := client.Validate(); err != nil {
				return err
			}
			defer client.Close()
			total := countMessages(args)
			st := &sendStats{codes: map[string]int{}}
			if failures != "" {
				f, err := os.Create(failures)
				if err != nil {
					return err
				}
				defer f.Close()
				st.failOut = f
			}
			var lim *rate.Limiter
			if rateLimit > 0 {
				lim = rate.NewLimiter(rate.Limit(rateLimit), 1)
			}
			ctx := cmd.Context()
			work := make(chan inputMessage, concurrency)
			var wg sync.WaitGroup
			errOut := cmd.ErrOrStderr()
			for range concurrency {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for in := range work {
						if lim != nil && lim.Wait(ctx) != nil {
							continue
						}
						start := time.Now()
						// The client reconnects with backoff until its context ends: bound that.
						sctx, cancel := context.WithTimeout(ctx, connectTimeout+timeout)
						resp, err := client.Send(sctx, in.Raw)
						cancel()
						lat := time.Since(start)
						code := resp.Code
						switch {
						case errors.Is(err, mllp.ErrACKTimeout):
							code = "timeout"
							if !quiet {
								fmt.Fprintf(errOut, "%s: no acknowledgement within %s\n", in.Where(), timeout)
							}
						case err != nil:
							code = "error"
							if !quiet {
								fmt.Fprintf(errOut, "%s: %v\n", in.Where(), err)
							}
						case code == "":
							code = "no MSA"
							if !quiet {
								fmt.Fprintf(errOut, "%s: the answer has no MSA acknowledgement code\n", in.Where())
							}
						case !resp.Accepted() && !quiet:
							fmt.Fprintf(errOut, "%s: answered %s%s\n", in.Where(), code, answerText(resp.Text))
						}
						st.add(code, lat, err != nil || !resp.Accepted(), in.Raw)
					}
				}()
			}
			prog := newProgress(errOut, total, quiet)
			stop := prog.run(st)
			seen := map[string]bool{}
			readErr := readMessages(args, cmd.InOrStdin(), func(in inputMessage) error {
				seen[in.Source] = true
				if in.Envelope {
					// Not HL7 at all, or a batch whose counts do not match: the operator must
					// hear of it even with --quiet, or a wrong file looks like a good run.
					st.mu.Lock()
					st.fileProblems++
					st.mu.Unlock()
					fmt.Fprintf(errOut, "%s: %v\n", in.Where(), in.Err)
					return nil
				}
				if len(in.Raw) == 0 {
					return nil
				}
				if !keepEnds && in.Msg != nil {
					in.Raw = withCR(in.Msg)
				}
				select {
				case work <- in:
					return nil
				case <-ctx.Done():
					return ctx.Err()
				}
			})
			close(work)
			wg.Wait()
			stop()
			if readErr == nil {
				for _, name := range inputNames(args) {
					if !seen[name] {
						st.fileProblems++
						fmt.Fprintf(errOut, "%s: no HL7 message in it\n", name)
					}
				}
			}
			printSummary(cmd.OutOrStdout(), st)
			if readErr != nil {
				return readErr
			}
			if st.failures > 0 || st.sent < total || st.fileProblems > 0 {
				return exitError{code: 1}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&to, "to", "", "HOST:PORT of the MLLP listener (required)")
	f.IntVar(&concurrency, "concurrency", 1, "connections sending at once (order is kept only with 1)")
	f.Float64Var(&rateLimit, "rate", 0, "at most this many messages per second in total (0: as fast as answered)")
	f.DurationVar(&timeout, "timeout", 30*time.Second, "longest wait for each acknowledgement")
	f.DurationVar(&connectTimeout, "connect-timeout", 10*time.Second, "longest time to (re)connect for a message, retrying with backoff")
	f.StringVar(&failures, "failures", "", "write every message that was not accepted to this file")
	f.BoolVar(&commit, "commit-acks", false, "MLLP Release 2: wait for the receiver's commit block")
	f.BoolVarP(&quiet, "quiet", "q", false, "no progress and no per-message errors, only the summary")
	f.BoolVar(&keepEnds, "keep-line-ends", false, "send messages' bytes as they are, LF line ends included")
	tf.add(cmd, false)
	return cmd
}

// answerText formats MSA-3 of a negative answer for a progress line: the receiver's reason,
// cut short so that one line stays one line.
func answerText(text string) string {
	text = strings.TrimSpace(strings.NewReplacer("\r", " ", "\n", " ").Replace(text))
	if text == "" {
		return ""
	}
	return ": " + clip(text, 200)
}

// withCR returns the message with every segment ended by CR, as MLLP receivers expect; a
// message already ended that way is returned as it is.
func withCR(m *hl7.Message) []byte {
	raw := m.Bytes()
	if !bytes.ContainsRune(raw, '\n') {
		return raw
	}
	var b bytes.Buffer
	b.Grow(len(raw))
	for _, s := range m.Segments() {
		b.Write(s.Raw())
		b.WriteByte('\r')
	}
	return b.Bytes()
}

// countMessages counts the messages of named files for the ETA; standard input is not
// counted (it can be read once only).
func countMessages(names []string) int {
	n := 0
	for _, name := range names {
		if name == "-" {
			return 0
		}
		f, err := os.Open(name)
		if err != nil {
			continue
		}
		rd := hl7.NewReader(f)
		for {
			_, err := rd.Next()
			if err == io.EOF {
				break
			}
			if rd.Raw() != nil {
				n++
			}
		}
		f.Close()
	}
	return n
}

// progress shows count, rate and ETA: rewritten in place on a terminal, a plain line every
// few seconds otherwise.
type progress struct {
	w     io.Writer
	total int
	tty   bool
	quiet bool
	start time.Time
}

func newProgress(w io.Writer, total int, quiet bool) *progress {
	tty := false
	if f, ok := w.(*os.File); ok {
		tty = term.IsTerminal(int(f.Fd()))
	}
	return &progress{w: w, total: total, tty: tty, quiet: quiet, start: time.Now()}
}

func (p *progress) run(st *sendStats) (stop func()) {
	if p.quiet {
		return func() {}
	}
	every := 5 * time.Second
	if p.tty {
		every = 200 * time.Millisecond
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				p.line(st, true)
				return
			case <-t.C:
				p.line(st, false)
			}
		}
	}()
	return func() { close(done); <-finished }
}

func (p *progress) line(st *sendStats, last bool) {
	st.mu.Lock()
	n, bad := st.sent, st.failures
	st.mu.Unlock()
	el := time.Since(p.start).Seconds()
	r := float64(n) / max(el, 1e-9)
	s := fmt.Sprintf("sent %d", n)
	if p.total > 0 {
		s += fmt.Sprintf("/%d", p.total)
	}
	s += fmt.Sprintf("  %.0f msg/s  not accepted %d", r, bad)
	if p.total > 0 && r > 0 && n < p.total {
		s += fmt.Sprintf("  ETA %s", (time.Duration(float64(p.total-n)/r) * time.Second).Round(time.Second))
	}
	if p.tty {
		end := ""
		if last {
			end = "\n"
		}
		fmt.Fprintf(p.w, "\r\033[K%s%s", s, end)
	} else if !last || n > 0 {
		fmt.Fprintln(p.w, s)
	}
}

func printSummary(w io.Writer, st *sendStats) {
	st.mu.Lock()
	defer st.mu.Unlock()
	fmt.Fprintf(w, "%d message(s) sent, %d not accepted\n", st.sent, st.failures)
	if st.fileProblems > 0 {
		fmt.Fprintf(w, "%d file problem(s): not HL7, no message, or a batch whose counts do not match (see above)\n", st.fileProblems)
	}
	codes := make([]string, 0, len(st.codes))
	for c := range st.codes {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	var parts []string
	for _, c := range codes {
		parts = append(parts, fmt.Sprintf("%s %d", c, st.codes[c]))
	}
	if len(parts) > 0 {
		fmt.Fprintf(w, "answers: %s\n", strings.Join(parts, ", "))
	}
	if len(st.latencies) > 0 {
		l := slices.Clone(st.latencies)
		slices.Sort(l)
		q := func(p float64) time.Duration { return l[min(len(l)-1, int(p*float64(len(l))))] }
		fmt.Fprintf(w, "latency: p50 %s, p99 %s, max %s\n", q(0.5).Round(time.Microsecond), q(0.99).Round(time.Microsecond), l[len(l)-1].Round(time.Microsecond))
	}
}
