import { render } from "preact";
import { JoinApp } from "./app.js";

render(<JoinApp />, document.getElementById("app")!);
