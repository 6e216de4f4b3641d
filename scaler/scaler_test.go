package scaler

import (
	"bytes"
	"context"
	"errors"
	"image"
	"math"
	"runtime"
	"testing"
	"time"
)

func TestOptionsSize(t *testing.T) {
	tests := []struct {
		name   string
		opts   *Options
		w, h   int
		factor float64
		ww, wh int
		err    error
	}{
		{"default half", nil, 2560, 1600, 0.5, 1280, 800, nil},
		{"floors", nil, 351, 419, 0.5, 175, 209, nil},
		{"at least 1", nil, 1, 1, 0.5, 1, 1, nil},
		{"float rounding", nil, 10, 10, 0.7, 7, 7, nil},
		{"factor overrides", &Options{Factor: 0.25}, 400, 200, 0.5, 100, 50, nil},
		{"enlarge", &Options{Factor: 2}, 10, 5, 0.5, 20, 10, nil},
		{"width", &Options{Width: 100}, 400, 200, 0.5, 100, 50, nil},
		{"both", &Options{Width: 10, Height: 30}, 400, 200, 0.5, 10, 30, nil},
		{"factor 0", nil, 10, 10, 0, 0, 0, ErrInvalidOptions},
		{"negative factor", &Options{Factor: -1}, 10, 10, 0.5, 0, 0, ErrInvalidOptions},
		{"NaN", &Options{Factor: math.NaN()}, 10, 10, 0.5, 0, 0, ErrInvalidOptions},
		{"Inf", &Options{Factor: math.Inf(1)}, 10, 10, 0.5, 0, 0, ErrInvalidOptions},
		{"negative width", &Options{Width: -5}, 10, 10, 0.5, 0, 0, ErrInvalidOptions},
		{"huge", &Options{Factor: 1e6}, 1000, 1000, 0.5, 0, 0, ErrTooLarge},
		{"over MaxPixels", &Options{MaxPixels: 99}, 20, 20, 0.5, 0, 0, ErrTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w, h, err := tc.opts.Size(tc.w, tc.h, tc.factor)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("Size(%dx%d, %v) error = %v, want %v", tc.w, tc.h, tc.factor, err, tc.err)
				}
				return
			}
			if err != nil || w != tc.ww || h != tc.wh {
				t.Errorf("Size(%dx%d, %v) = %dx%d, %v; want %dx%d", tc.w, tc.h, tc.factor, w, h, err, tc.ww, tc.wh)
			}
		})
	}
}

func TestLocalScale(t *testing.T) {
	src := Grayscale(testPicture(351, 419))
	var l Local
	got, err := l.Scale(context.Background(), src, nil)
	if err != nil {
		t.Fatal(err)
	}
	if b := got.Bounds(); b != image.Rect(0, 0, 175, 209) {
		t.Errorf("Local{}.Scale(351x419) = %v, want 175x209", b)
	}
	if _, ok := got.(*image.Gray); !ok {
		t.Errorf("Local{}.Scale(gray) = %T, want *image.Gray", got)
	}

	third := Local{Factor: 1.0 / 3, Filter: Box}
	got, err = third.Scale(context.Background(), src, nil)
	if err != nil {
		t.Fatal(err)
	}
	if b := got.Bounds(); b != image.Rect(0, 0, 117, 139) {
		t.Errorf("Local{Factor: 1/3}.Scale(351x419) = %v, want 117x139", b)
	}
	if _, err := third.Scale(context.Background(), src, &Options{Factor: math.NaN()}); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("Scale(factor NaN) = %v, want ErrInvalidOptions", err)
	}
}

// Work that can never fit the budget fails at once; work that must wait
// gives up when its context ends. Halving a 100×100 gray image holds the
// 2500 bytes of its result.
func TestLocalBudget(t *testing.T) {
	src := image.NewGray(image.Rect(0, 0, 100, 100))
	small := Local{Budget: &Budget{Max: 2499}}
	if _, err := small.Scale(context.Background(), src, nil); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Scale(2500 bytes, budget 2499) = %v, want ErrTooLarge", err)
	}

	budget := &Budget{Max: 4000}
	l := Local{Budget: budget}
	if _, err := l.Scale(context.Background(), src, nil); err != nil {
		t.Fatal(err)
	}
	release, err := budget.Acquire(context.Background(), 2000) // someone else's work
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.Scale(ctx, src, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("Scale while the budget is taken = %v, want context.Canceled", err)
	}
	release()
	if _, err := l.Scale(context.Background(), src, nil); err != nil {
		t.Errorf("Scale after release = %v", err)
	}
}

// Budget.Decode holds the image's pixels until release, and gives them
// back when the decoding fails.
func TestBudgetDecode(t *testing.T) {
	data := encodings(t, 24, 16)["png-gray"]
	b := &Budget{Max: 24 * 16}
	img, release, err := b.Decode(context.Background(), data, nil)
	if err != nil || img.Bounds().Dx() != 24 {
		t.Fatalf("Budget.Decode = %v, %v", img, err)
	}
	if b.sem.TryAcquire(1) {
		t.Error("the budget had room while the decoded image was held")
	}
	release()

	truncated := data[:len(data)-20]
	if _, _, err := b.Decode(context.Background(), truncated, nil); !errors.Is(err, ErrInvalid) {
		t.Fatalf("Budget.Decode(truncated) = %v, want ErrInvalid", err)
	}
	if !b.sem.TryAcquire(24 * 16) {
		t.Error("the budget was not given back after a failed decode")
	}
	if _, _, err := (&Budget{Max: 24*16 - 1}).Decode(context.Background(), data, nil); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Budget.Decode over the whole budget = %v, want ErrTooLarge", err)
	}
}

// When MaxWaiting Acquires already wait, the next one is refused at once
// with ErrBusy; the waiters are served when room comes back.
func TestBudgetQueue(t *testing.T) {
	b := &Budget{Max: 10, MaxWaiting: 2}
	hold, err := b.Acquire(context.Background(), 10)
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 2)
	for range 2 {
		go func() {
			release, err := b.Acquire(context.Background(), 5)
			if err == nil {
				release()
			}
			served <- err
		}()
	}
	// Wait for both to queue: until then the queue has room, and an
	// Acquire with an ended ctx gets the ctx's error instead of ErrBusy.
	ended, cancel := context.WithCancel(context.Background())
	cancel()
	deadline := time.Now().Add(5 * time.Second)
	for b.waiting.Load() < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("%d Acquires wait after 5s, want 2", b.waiting.Load())
		}
		runtime.Gosched()
	}
	if st := b.Stats(); st != (BudgetStats{Max: 10, InUse: 10, Waiting: 2}) {
		t.Errorf("Stats with 10 held and 2 waiting = %+v", st)
	}
	start := time.Now()
	if _, err := b.Acquire(context.Background(), 1); !errors.Is(err, ErrBusy) {
		t.Fatalf("third waiter: Acquire = %v, want ErrBusy", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("the busy answer took %v", d)
	}
	hold()
	for range 2 {
		if err := <-served; err != nil {
			t.Errorf("queued Acquire = %v", err)
		}
	}
	if st := b.Stats(); st != (BudgetStats{Max: 10}) {
		t.Errorf("Stats with all released = %+v", st)
	}
	if _, err := b.Acquire(ended, 1); err != nil {
		t.Errorf("Acquire with room and an ended ctx = %v, want room taken", err)
	}

	unbounded := &Budget{Max: 1, MaxWaiting: -1}
	if _, err := unbounded.Acquire(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	for range 100 {
		if _, err := unbounded.Acquire(ended, 1); !errors.Is(err, context.Canceled) {
			t.Fatalf("Acquire with no bound on waiting = %v, want context.Canceled", err)
		}
	}
}

// The budget of decoding a progressive JPEG counts its coefficients, two
// bytes a pixel, besides the pixels: a budget that holds only the gray
// pixels and not the coefficients refuses it before it is decoded.
func TestBudgetProgressiveCoefficients(t *testing.T) {
	data := jpegdecFile(t, "420-prog.jpg")
	cfg, _, err := DecodeConfig(bytes.NewReader(data), nil)
	if err != nil {
		t.Fatal(err)
	}
	pixels := int64(cfg.Width * cfg.Height)
	if _, _, err := (&Budget{Max: 3*pixels - 1}).DecodeGray(context.Background(), data, nil); !errors.Is(err, ErrTooLarge) {
		t.Errorf("DecodeGray(progressive, budget of 3 bytes a pixel less one) = %v, want ErrTooLarge", err)
	}
	gray, release, err := (&Budget{Max: 3 * pixels}).DecodeGray(context.Background(), data, nil)
	if err != nil {
		t.Fatalf("DecodeGray(progressive, budget of 3 bytes a pixel) = %v", err)
	}
	release()
	if gray.Bounds().Dx() != cfg.Width {
		t.Errorf("DecodeGray width %d, want %d", gray.Bounds().Dx(), cfg.Width)
	}
}
