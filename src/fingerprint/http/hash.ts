export { hash12 } from "../digest.js";
