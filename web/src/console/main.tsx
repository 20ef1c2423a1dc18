import { render } from "preact";
import { ConsoleApp } from "./app.js";
import { takeTokenFromFragment } from "./auth.js";

takeTokenFromFragment();
render(<ConsoleApp />, document.getElementById("app")!);
