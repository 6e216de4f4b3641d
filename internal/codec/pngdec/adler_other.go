//go:build !amd64

package pngdec

// adlerUpdate returns s1 and s2 after the bytes of p; see adlerGo.
func adlerUpdate(s1, s2 uint32, p []byte) (uint32, uint32) {
	return adlerGo(s1, s2, p)
}
