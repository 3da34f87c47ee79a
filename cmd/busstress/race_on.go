//go:build race

package main

// raceEnabled is true when busstress is built with -race: scenarios run
// several times slower, so the default stall time is longer.
const raceEnabled = true
