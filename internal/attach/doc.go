// Package attach is the one flow that gives a running host new
// certificates through its Docker API: `dockbake attach`, `dockbake
// regenerate-certs --apply`, the Terraform provider's dockbake_attachment
// and `dockbake fleet attach` all run it. It pins the host to what the
// store issued, delivers (internal/deliver), waits until the host serves
// the new certificate, and only then commits the store's change: on any
// failure the store is as it was and the host on its working certificate.
package attach
