//go:build !race

package main

// raceEnabled is true when busstress is built with -race.
const raceEnabled = false
