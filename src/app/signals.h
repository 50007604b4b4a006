// Stop signals are taken by the main thread only: BlockStopSignals() before any thread starts
// (threads inherit the mask), then WaitForStopSignal() parks the main thread until SIGTERM/SIGINT.
#pragma once

namespace mq::app {

void BlockStopSignals();
int WaitForStopSignal();

}  // namespace mq::app
