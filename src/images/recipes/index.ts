import type { Recipe } from "../recipe.js";
import { tiny } from "./tiny.js";
import { debian12 } from "./debian-12.js";
import { debian12Hostonly } from "./debian-12-hostonly.js";
import { debian13Static } from "./debian-13-static.js";
import { debian12LikeRhel } from "./debian-12-like-rhel.js";
import { debian13LikeUbuntu } from "./debian-13-like-ubuntu.js";

/** The built-in recipes, one file each in this folder. */
export const RECIPES: readonly Recipe[] = [tiny, debian12, debian12Hostonly, debian13Static, debian12LikeRhel, debian13LikeUbuntu];
