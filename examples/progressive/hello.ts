import { Pipeline } from "tipi";

const pipeline = Pipeline.create<{ name: string }>()
  .stage("greet", (s) => ({ ...s, greeting: `hello, ${s.name}` }))
  .io("print", (s) => {
    console.log(s.greeting);
    return s;
  });

const result = await pipeline.run({ name: "tipi" });
console.log(result.isOk() ? "done" : result.error.message);
