// Lets records and init-only setters compile for netstandard2.0, where the runtime lacks the type.
namespace System.Runtime.CompilerServices;

internal static class IsExternalInit
{
}
