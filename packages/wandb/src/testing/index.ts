export {
  type FakeSweep,
  type FakeSweepAgent,
  FakeSweepController,
  type FakeSweepControllerOptions,
  type FakeSweepRun,
  type FakeSweepRunState,
} from "./fake-sweep-controller.ts";
export {
  type FakeWandbMode,
  type FakeWandbRequest,
  type FakeWandbRun,
  type FakeWandbServer,
  type FakeWandbServerOptions,
  startFakeWandbServer,
} from "./fake-wandb-server.ts";
