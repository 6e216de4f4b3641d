//go:build !amd64

package jpegdec

// acRefine is acRefineGo.
func (s *progScan) acRefine(coefs, nz []uint64) error {
	return s.acRefineGo(coefs, nz)
}

// acFirst is acFirstGo.
func (s *progScan) acFirst(coefs, nz []uint64) error {
	return s.acFirstGo(coefs, nz)
}
