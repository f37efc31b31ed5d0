/** Guest images built from Debian packages (see docs/images.md). */
export { buildImage, listRecipes, findRecipe, cachedImage, cachedImageDir, type BuiltImage } from "./builder.js";
export { recipeHash, configuredSummary, BUILDER_VERSION, type Recipe, type DebianRecipe, type TinyRecipe } from "./recipe.js";
export { type BuildProgress } from "./steps.js";
