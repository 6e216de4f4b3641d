// Package metrics keeps the counters, gauges and histograms of the example
// servers and writes them in the Prometheus text exposition format
// (version 0.0.4), with the standard library alone. Only the programs
// under examples/ and their helpers import it; the library reports what
// it does through its own types (transport.Server's reports,
// scaler.Budget's and transport.Balancer's status), which the programs
// turn into metrics here.
//
//	reg := &metrics.Registry{}
//	requests := reg.Counter("escala_requests_total", "Requests answered.", "protocol", "result")
//	requests.Add(1, "raw", "ok")
//	reg.Gauge("escala_in_flight", "Requests being handled.", func() float64 { return n })
//	http.Handle("GET /metrics", reg)
package metrics

import (
	"bufio"
	"fmt"
	"maps"
	"math"
	"net/http"
	"runtime"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// A Registry holds metrics and serves them over HTTP. Its zero value is
// empty and ready to use. It is safe for concurrent use.
type Registry struct {
	mu      sync.Mutex
	metrics []metric
	names   map[string]bool
}

type metric interface {
	write(w *bufio.Writer)
}

// header writes a metric family's HELP and TYPE lines.
func header(w *bufio.Writer, name, help, kind string) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", name, escapeHelp(help), name, kind)
}

func (r *Registry) add(name string, m metric) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.names == nil {
		r.names = map[string]bool{}
	}
	if r.names[name] || !validName(name) {
		panic(fmt.Sprintf("metrics: %q is registered twice or is not a valid name", name))
	}
	r.names[name] = true
	r.metrics = append(r.metrics, m)
}

// ServeHTTP writes every metric in the text exposition format.
func (r *Registry) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	bw := bufio.NewWriter(w)
	r.mu.Lock()
	ms := slices.Clone(r.metrics)
	r.mu.Unlock()
	for _, m := range ms {
		m.write(bw)
	}
	bw.Flush()
}

// A CounterVec is a counter for each combination of its labels' values.
type CounterVec struct {
	name, help string
	labels     []string
	mu         sync.Mutex
	values     map[string]float64 // by the label values, joined by \x00
}

// Counter registers a counter with the given label names. Its series
// appear once they are first added to.
func (r *Registry) Counter(name, help string, labels ...string) *CounterVec {
	c := &CounterVec{name: name, help: help, labels: labels, values: map[string]float64{}}
	r.add(name, c)
	return c
}

// Add adds v, which must not be negative, to the series of the label
// values, given in the order of the counter's labels.
func (c *CounterVec) Add(v float64, values ...string) {
	if len(values) != len(c.labels) || v < 0 {
		panic(fmt.Sprintf("metrics: %s: %d label values for %d labels, or a negative add", c.name, len(values), len(c.labels)))
	}
	k := strings.Join(values, "\x00")
	c.mu.Lock()
	c.values[k] += v
	c.mu.Unlock()
}

func (c *CounterVec) write(w *bufio.Writer) {
	header(w, c.name, c.help, "counter")
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.labels) == 0 && len(c.values) == 0 {
		fmt.Fprintf(w, "%s 0\n", c.name) // a count without labels is 0 before it is first added to
	}
	for _, k := range slices.Sorted(maps.Keys(c.values)) {
		fmt.Fprintf(w, "%s%s %s\n", c.name, labelSet(c.labels, split(k, len(c.labels)), "", ""), formatFloat(c.values[k]))
	}
}

// A gauge reads its value when it is written.
type gauge struct {
	name, help string
	labels     []string
	read       func() []Sample
}

// A Sample is a value of a gauge with its label values.
type Sample struct {
	Labels []string
	Value  float64
}

// Gauge registers a gauge without labels whose value read returns.
func (r *Registry) Gauge(name, help string, read func() float64) {
	r.add(name, &gauge{name: name, help: help, read: func() []Sample { return []Sample{{Value: read()}} }})
}

// GaugeVec registers a gauge with labels whose series read returns, each
// with its label values in the order of labels.
func (r *Registry) GaugeVec(name, help string, labels []string, read func() []Sample) {
	r.add(name, &gauge{name: name, help: help, labels: labels, read: read})
}

func (g *gauge) write(w *bufio.Writer) {
	header(w, g.name, g.help, "gauge")
	for _, s := range g.read() {
		fmt.Fprintf(w, "%s%s %s\n", g.name, labelSet(g.labels, s.Labels, "", ""), formatFloat(s.Value))
	}
}

// A HistogramVec counts observations in buckets, for each combination of
// its labels' values.
type HistogramVec struct {
	name, help string
	labels     []string
	bounds     []float64
	mu         sync.Mutex
	series     map[string]*histogram
}

type histogram struct {
	counts []uint64 // per bucket, not cumulative; the last is +Inf
	sum    float64
	count  uint64
}

// Histogram registers a histogram with the upper bounds of its buckets, in
// increasing order, and label names.
func (r *Registry) Histogram(name, help string, bounds []float64, labels ...string) *HistogramVec {
	if !slices.IsSorted(bounds) {
		panic("metrics: " + name + ": bounds not in increasing order")
	}
	h := &HistogramVec{name: name, help: help, labels: labels, bounds: bounds, series: map[string]*histogram{}}
	r.add(name, h)
	return h
}

// Observe records v in the series of the label values.
func (h *HistogramVec) Observe(v float64, values ...string) {
	if len(values) != len(h.labels) {
		panic(fmt.Sprintf("metrics: %s: %d label values for %d labels", h.name, len(values), len(h.labels)))
	}
	k := strings.Join(values, "\x00")
	i, _ := slices.BinarySearch(h.bounds, v) // the first bound ≥ v
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.series[k]
	if s == nil {
		s = &histogram{counts: make([]uint64, len(h.bounds)+1)}
		h.series[k] = s
	}
	s.counts[i]++
	s.sum += v
	s.count++
}

func (h *HistogramVec) write(w *bufio.Writer) {
	header(w, h.name, h.help, "histogram")
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, k := range slices.Sorted(maps.Keys(h.series)) {
		s, values := h.series[k], split(k, len(h.labels))
		var cum uint64
		for i, b := range h.bounds {
			cum += s.counts[i]
			fmt.Fprintf(w, "%s_bucket%s %d\n", h.name, labelSet(h.labels, values, "le", formatFloat(b)), cum)
		}
		fmt.Fprintf(w, "%s_bucket%s %d\n", h.name, labelSet(h.labels, values, "le", "+Inf"), s.count)
		fmt.Fprintf(w, "%s_sum%s %s\n", h.name, labelSet(h.labels, values, "", ""), formatFloat(s.sum))
		fmt.Fprintf(w, "%s_count%s %d\n", h.name, labelSet(h.labels, values, "", ""), s.count)
	}
}

// DurationBuckets are bounds in seconds from 1 ms to a minute, for
// latencies.
var DurationBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}

// RegisterRuntime registers gauges of the Go runtime: goroutines, the heap
// in use and the memory the runtime holds from the system, and the
// number of completed garbage collections.
func (r *Registry) RegisterRuntime() {
	r.Gauge("go_goroutines", "Goroutines that exist now.", func() float64 { return float64(runtime.NumGoroutine()) })
	read := func(name string) func() float64 {
		return func() float64 {
			s := []metrics.Sample{{Name: name}}
			metrics.Read(s)
			switch s[0].Value.Kind() {
			case metrics.KindUint64:
				return float64(s[0].Value.Uint64())
			case metrics.KindFloat64:
				return s[0].Value.Float64()
			}
			return math.NaN()
		}
	}
	r.Gauge("go_heap_objects_bytes", "Bytes of the heap held by live or not yet swept objects.", read("/memory/classes/heap/objects:bytes"))
	r.Gauge("go_memory_total_bytes", "Bytes of memory the Go runtime holds from the system.", read("/memory/classes/total:bytes"))
	r.Gauge("go_gc_cycles", "Completed garbage collection cycles.", read("/gc/cycles/total:gc-cycles"))
}

// labelSet writes {a="x",b="y"} with extra appended when extraName is
// set, or nothing when there are no labels.
func labelSet(names, values []string, extraName, extraValue string) string {
	if len(names) == 0 && extraName == "" {
		return ""
	}
	var b strings.Builder
	b.WriteByte('{')
	for i, n := range names {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(n + `="` + escapeValue(values[i]) + `"`)
	}
	if extraName != "" {
		if len(names) > 0 {
			b.WriteByte(',')
		}
		b.WriteString(extraName + `="` + extraValue + `"`)
	}
	b.WriteByte('}')
	return b.String()
}

func escapeValue(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}

func escapeHelp(s string) string {
	return strings.NewReplacer(`\`, `\\`, "\n", `\n`).Replace(s)
}

func formatFloat(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case math.IsNaN(v):
		return "NaN"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// validName reports whether name is a valid metric name.
func validName(name string) bool {
	if name == "" {
		return false
	}
	for i, c := range name {
		if !(c == '_' || c == ':' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || i > 0 && '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

func split(k string, n int) []string {
	if n == 0 {
		return nil
	}
	return strings.Split(k, "\x00")
}
