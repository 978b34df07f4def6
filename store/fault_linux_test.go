package store

// RenameNoReplace is a step, as Rename is: the faults of a commit's moves
// are those of the moves it makes here.
func (d *faultDisk) RenameNoReplace(from, to string) error {
	if err := d.step("rename", from+" -> "+to); err != nil {
		return err
	}
	return d.Disk.(NoReplacer).RenameNoReplace(from, to)
}
