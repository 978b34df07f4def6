//go:build !unix

package store

// noFollow is 0 where open(2) has no O_NOFOLLOW: the store's Lstat of
// every element of a path refuses a symbolic link there.
const noFollow = 0
