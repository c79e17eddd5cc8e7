export {
  type FakeWandbMode,
  type FakeWandbRequest,
  type FakeWandbRun,
  type FakeWandbServer,
  type FakeWandbServerOptions,
  startFakeWandbServer,
} from "./fake-wandb-server.ts";
