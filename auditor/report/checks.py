"""What each check means, why it matters, how reliable it is and how to fix it: the report's explanatory text.

Kept as data beside the code so a reader of the report and a reader of the source see the same words.
"""

from __future__ import annotations

CHECKS: dict[str, dict[str, str]] = {
    "minor_face": {
        "name": "Faces that look like possible minors",
        "means": "A face in the photo looks like it may belong to someone under 18 (an automatic age estimate).",
        "why": "Public photos of children are scraped to make AI-generated abuse imagery (IWF and police reports); "
        "UK ICO guidance asks schools to minimise identifiable images of pupils and to hold consent.",
        "reliability": "Triage, not a verdict: tuned to catch about 97-99 % of under-18s, it also flags many young "
        "adults (and about 1 in 10 older adults). A person should review each one.",
        "fix": "Check consent; prefer photos where children are not identifiable; publish small copies; never "
        "beside names.",
    },
    "not_checked": {
        "name": "Files that could not be checked",
        "means": "The audit could not read this file (corrupt, truncated, an unsupported format, or no permission "
        "to read it), so none of the other checks looked at it.",
        "why": "A file nobody has looked at may show pupils or carry their location; it must not pass as clean.",
        "reliability": "Certain: the reason given is what the reader reported.",
        "fix": "Open it yourself, re-export it as an ordinary JPEG or PNG, and check it again before publishing.",
    },
    "identifiable_face": {
        "name": "Faces large enough to recognise",
        "means": "A face is large and sharp enough (distance between the eyes in pixels) for recognition or for "
        "tools that make new images of a person from one photo.",
        "why": "Face-swap and 'nudify' tools need only one clear face; recognition links a face to other photos.",
        "reliability": "Face detection misses some small or turned faces (about 1 in 5 faces of 32 px or more in "
        "crowded photos); found faces are measured precisely.",
        "fix": "Publish smaller copies, or photos where faces are not the subject.",
    },
    "gps_location": {
        "name": "GPS position in the photo",
        "means": "The file says where it was taken, to within metres.",
        "why": "A photo taken at home, on a trip or at a club reveals where a child can be found.",
        "reliability": "Exact: read from the file (100 % on a test corpus of 186 real files).",
        "fix": "Strip metadata before publishing; turn off location tagging on school cameras and phones.",
    },
    "device_serial": {
        "name": "Camera serial number",
        "means": "The file carries the serial number of the camera or lens.",
        "why": "It links every photo taken with that camera, across websites and years.",
        "reliability": "Exact: read from the file, including makers' private notes.",
        "fix": "Strip metadata before publishing.",
    },
    "person_name_metadata": {
        "name": "Names inside the photo file",
        "means": "The file's metadata names the photographer, owner or people shown.",
        "why": "Names connect a picture to real people and their families.",
        "reliability": "Exact for name fields; names in captions are found by a language model (may miss some).",
        "fix": "Strip metadata before publishing.",
    },
    "thumbnail_mismatch": {
        "name": "Hidden preview differs from the photo",
        "means": "The file carries an older preview that differs from the published picture.",
        "why": "A crop or blur applied to the photo may not have been applied to the preview.",
        "reliability": "Compares shapes and content; small edits may not be noticed.",
        "fix": "Re-export without the embedded preview and replace the published copy.",
    },
    "document_metadata": {
        "name": "Personal details inside documents",
        "means": "A PDF or Office document names its authors, accounts, organisation or software.",
        "why": "Staff names and account names help social engineering; photos inside documents are checked too.",
        "reliability": "Exact: read from the document.",
        "fix": "Use 'Inspect Document' / 'remove personal information' before publishing.",
    },
    "oversized_image": {
        "name": "Photos available far larger than shown",
        "means": "A much larger copy of a picture can be downloaded than the page shows.",
        "why": "Scrapers take the largest copy; full-size originals make the best material for fakes.",
        "reliability": "Sizes are measured; only common CMS patterns are tried for hidden originals.",
        "fix": "Publish web-sized copies (about 1,200 px) and delete originals from the server.",
    },
    "name_near_photo": {
        "name": "Names beside photos",
        "means": "A person's name appears next to the photo, in its caption, alt text or file name.",
        "why": "A name turns 'a child' into 'this child': the most identifying thing a page can add.",
        "reliability": "A language model plus rules: about 92 % of names found, few false alarms on test captions.",
        "fix": "No pupils' full names beside photos; rename files that carry names.",
    },
    "public_share_link": {
        "name": "Public share links",
        "means": "The site links to a shared folder or file (Drive, OneDrive, Dropbox...).",
        "why": "A public folder often holds hundreds of unpublished photos.",
        "reliability": "One anonymous request per link; 'unknown' means it could not tell.",
        "fix": "Remove the link or restrict sharing to named people.",
    },
    "directory_listing": {
        "name": "Open folder listings",
        "means": "The web server lists every file in a folder.",
        "why": "A listing hands a scraper every photo, including ones no page links to.",
        "reliability": "Exact: the listing was fetched.",
        "fix": "Turn off directory indexes on the web server.",
    },
    "ai_training_not_reserved": {
        "name": "No reservation against AI training",
        "means": "The site does not tell AI crawlers not to use its content.",
        "why": "Reputable crawlers honour these signals; they do not stop scrapers, so fix the photos too.",
        "reliability": "Exact for the signals listed.",
        "fix": "Add robots.txt rules, noai meta tags and a TDMRep file.",
    },
}

# Order of sections in the report: the product's reason to exist first.
ORDER = list(CHECKS)
