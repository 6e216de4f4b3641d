package par

import (
	"runtime"
	"testing"
)

func TestEnter(t *testing.T) {
	want := runtime.GOMAXPROCS(0)
	if n := Enter(); n != want {
		t.Errorf("Enter alone = %d, want GOMAXPROCS %d", n, want)
	}
	if n := Enter(); n != 1 {
		t.Errorf("Enter while another call runs = %d, want 1", n)
	}
	Leave()
	Leave()
	if n := Enter(); n != want {
		t.Errorf("Enter after both left = %d, want %d", n, want)
	}
	Leave()
}
