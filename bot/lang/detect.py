"""Offline language identification: script and letter cues first, then lingua (high accuracy).

lingua knows de, en, ar, fa, fr, tr, uk, ru, so but not Kurmanji, Tigrinya or Pashto, so those are
recognised by their script or letters, which is also more reliable than statistics on short texts.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from lingua import Language, LanguageDetectorBuilder

from bot.lang.latin_letters import letter_model
from lotse_shared.text import vocabulary, without_marks

LINGUA_CODES: dict[str, Language] = {
    "de": Language.GERMAN,
    "en": Language.ENGLISH,
    "ar": Language.ARABIC,
    "fa": Language.PERSIAN,
    "fr": Language.FRENCH,
    "tr": Language.TURKISH,
    "uk": Language.UKRAINIAN,
    "ru": Language.RUSSIAN,
    "so": Language.SOMALI,
}
LATIN = ("de", "en", "fr", "tr", "so")
LATIN_WITHOUT_SOMALI = ("de", "en", "fr", "tr")
CYRILLIC = ("uk", "ru")
ARABIC_SCRIPT = ("ar", "fa")

_ETHIOPIC = re.compile(r"[\u1200-\u137F\u2D80-\u2DDF]")
_ARABIC = re.compile(r"[\u0600-\u06FF\u0750-\u077F\uFB50-\uFDFF\uFE70-\uFEFF]")
_CYRILLIC = re.compile(r"[\u0400-\u04FF]")
_LATIN = re.compile(r"[A-Za-z\u00C0-\u024F]")
_PASHTO_LETTERS = re.compile(r"[ټډړښځڅږګڼۍې]")
_SORANI_LETTERS = re.compile(r"[ڕڵۆێ]")
_PERSIAN_LETTERS = re.compile(r"[پچژگیک]")
_ARABIC_ONLY_LETTERS = re.compile(r"[ةىيكأإؤ]")
_UKRAINIAN_LETTERS = re.compile(r"[іїєґІЇЄҐ]")
_RUSSIAN_LETTERS = re.compile(r"[ыэъёЫЭЪЁ]")
_TURKISH_ONLY_LETTERS = re.compile(r"[ıİğĞöÖüÜ]")
_KURMANJI_LETTERS = re.compile(r"[êÊîÎûÛ]")
_NOT_TURKISH_LETTERS = re.compile(r"[qwxQWX]")
_FRENCH_LETTERS = re.compile(
    r"[éèàùâôœëïÉÈÀ]|\b(le|la|les|du|des|une|est|pour|mon|ma|mes|je|vous)\b", re.IGNORECASE
)
_WORD = re.compile(r"\w+", re.UNICODE)
_SOMALI_VOWELS = re.compile(r"aa|ii|uu")

# Frequent function words that tell closely related languages apart where letters do not.
KURMANJI_WORDS = frozenset(
    (
        "ez hûn min wî wê ji bi di li ku çi çawa kengê kîjan erê nexêr silav spas dixwazim dikarim "
        "heye nîne tune bike bikim jî baş rojbaş alîkarî alîkariyê randevû randevûya pirs vê çend "
        "kî ye wisa şaş nizanim dixwazin bibêjim xwe xweş xwest hene hebe dibe dide didin distînin "
        "bistînim çiqas ciqas cawa kenge kijan nexer bizanim niha hatim zarok zarokên zarokan jina "
        "mêr mala malê roja sibeha şeva êvara gelek sipas heval yan pereyê zêde mehê meha hefteyê "
        "salê nikarim nikaribim biçim bêje bibêje dikim dikin naxwazim alikari derbas bersiv "
        "hejmara navê qeyd kiriye bûye çûm dibêjin divê "
        # In five or more Kurmanji training lines and no other language's (Dec 2026).
        "tê dike bidim lê nû din kir merheba bê meh dest dixwaze bibim hê kêm eger ser kirê "
        "tenê bû ber alîkariya vir herim rast bikin kerema almanî piştî mafê slav cem destûra "
        "bide dikare pê winda salî kurê dayîn pereye dive bixebitim bînim belaş qebûl wateyê "
        "dema rûniştinê çima dê betal mêrê girt dibistanê hemû paşê roj wek bibe berê gelo "
        "kirin karê dimîne wan kengî destûr yekem kirêya îtiraz tiştek sê bigirim hesabê pir "
        "bişînim vala dibêje dikarin xanî bibînim bêjim bajarekî digire nexweş berpirsiyar "
        "bankê hesibandin malbatê kurdî nameya dikarî bersiva serlêdan binivîsim qeydkirinê "
        "kaxeza keça kem berî derbasî dijî kes dixebitim dereng zarokê kê nade fêm biaxivim "
        "peymana naskirin daxwaza xatirê agahiyên jê kaxez nakim dixebite yê bixwazim zede "
        "xaniyê bûm razî distînim malbata distîne heke zêdetir birayê hev ragihînim pêwîst "
        "birîn ferqa agahî êdî mehan xwarina dawiya zimên bim daneyên rêwîtiyê dezgeh "
        "serlêdanê kesekî biryara randevûyeke rojeke nîşan dît deynê ducanî nameyek cend "
        "wateye vegerînim bingehîn rojê penaberan bikî belgeya biguherîne piştgiriya naskirina "
        "girtin nehat bavê yî nivîsiye cuda nake nameyê xwediyê neçûm cara biguherim tên "
        "serlêdana biguherînim randevûyekê derê salan diçim dîsa kesek taybet nehatiye hîn bes "
        "hatiye mirovekî sîgorteya barkirinê îqameya daxwaz paş vekim rastîn tena sibe diqede "
        "kevn mezin karmend tene xaniyekî şand pêşîn bistîne êvarbaş malbate anîna şêwirdariya "
        "şêwirdariyê rave qediya hesabe bidin bistînin şertên nivîsî heman şirketa diçe bibin "
        "sibê penaxwaz duh mûçeya forma hevalno belgeyan karmendekî werim pêşî dayika "
        "alikariya gotin erzan biçûk bajarê hevalê zanîngehê parastina sarinc ava nekir mehek "
        "mehe lêçûnên dibirin erênî nîv jin bistinim rêz hefteyan serî pîşeya bila mirov "
        "bidomînim tistek kaxezan xwarin ferq cih cihê kaxezên mobîlyayan alikariye bilind "
        "mezintir bîr ehliyeta derkevim hemu diaxivim destûrê sedî naskirinê germkirinê "
        "qeydkirina diya iqameya tomar hinek qet destê hatin qebûlkirin kampê dirêj çêbû binim "
        "telefonê erkên neda bigire nîvro rê tişt vî pasaporta dikeve rojan tenduristiyê "
        "îqameyê hefteya mehane bikirim herî kak bibejim bimînim kirêyê rawestîne bendewariyê "
        "hesabkirin bişîne serê qebul xaniyeki destur negot bilêta kire îmze kêmtir bipirsim "
        "telefona karekî doza wext çar dimînim pitikê nav navnîşana sîgortê cima bisinim ên "
        "penaberiyê binivîse pirsê biyaniyan veqetiyam cihekî benda bajêr zaroken pêşniyar "
        "dimine borî gera dersa xwendekar ket belas parêzer qut kursê zimanê barkirina nînim "
        "biryar dibîne ditirsim tiştên mamoste pejirandin kengi pîşeyî diçin dahata guhertina "
        "derveyî birî îqame dahat postê saetan carekê nivîsandî vîzeya dayîna bibinim bimîne "
        "erebeya dibistane xani yên îtirazê tije bûyîna rêzê saeta bijîm meaşê bûn karmendê "
        "şûna herin xaniyek kesî dibistana tiştekî pereyekî ducani wextê nivîn xaniye guherî "
        "doktorê şandin bacê bendê fatûreya ger penaxwazan têr agahdar sigorteya sînorê derve "
        "deh temamî fatûre ducaniyê hatina karî pirsek belgeyên neçim entegrasyonê bersivê "
        "bidomîne îngilîzî bername lîsteya pêş biryarê fermangeha kerta mecbûr daneyan fermî "
        "xerca kaxezek kartê zaroka bejim imze nameyan bibire qezenc dibistan erebeyek "
        "nexweşiya erebe makîneya nîşanî didim rasterast sand hebû bibirin duyem nivîsîn şev "
        "agahiyan erebî bidî derket pirsgirêk mehekê guhertinan girtina barî berdewam "
        "hevpeyvîna derbasdar dîroka îsal daxwazê zarokekî mûçe pênc kêmkirin îro randevûyek "
        "destan nabe birin muceya pêşniyara betlaneya guherand bicim zû ocax mobilyayan "
        "xwestin diguhere kireya guncav pisti çû îtiraza germkirin bira kurmancî dinivîsim "
        "eyaletek rakirin vegerim zûtir nivîsandiye xwedê kêr didomînim paşnavê agahiya bixe "
        "qaîdeyên dîplomayê bên maneye bizane pareye"
    ).split()
)
PASHTO_WORDS = frozenset(
    (
        "زه زما مننه کوم کومه یم په سره راته ماته ستا ستاسو شته ته د موږ غواړم څنګه ولې دې ښه "
        "لرم لري لرو لرې وروسته کولی کولای یو یوه ورکوي ورکوو ورکول واخلم اخلم اخلي "
        "پامان کوي کوو کوه ولیکل لیکنه ودروه سمه ساتنه سهار"
    ).split()
)
# Pashto words that Dari or Arabic dialects also write ("ده": Dari "in", Egyptian "this"; "دا":
# Iraqi "this"; "وي": Iraqi "with"; "وخت": Dari "time"; "نوم": Arabic "sleep"): two different ones
# count, when they outnumber the Arabic and the Persian function words.
SHARED_PASHTO_WORDS = frozenset(
    "ده دا دی دي وي له وه کله وخت شم سم نه خو بیا شی بل اوس نوم".split()
)
# Function words of spoken Arabic and of Persian, compared with only ي ى ك folded (keyboards swap
# them; lotse_shared.text.fold also drops hamza, so Arabic "أين" would read as Persian "این"):
# Iraqi Arabic writes گ and چ, and Arabic speakers write German words with گ, so letters mislead.
_YEH_KAF = str.maketrans({"ي": "ی", "ى": "ی", "ك": "ک"})
ARABIC_WORDS = frozenset(
    (
        "شلون شنو شو اکو ماکو هسه هسا شکد وین لیش لیه ایش های هذا هذه هذی اللی الی عشان علشان "
        "بدی بدک بدو ابغی عند عندی عندک عنده هیک کمان لسه لسا فینی شسوی اسوی اگدر اقدر یحق "
        "بیعطونی ازای امتی متی انا احنا نحن انت انتی فی علی عن اذا وانا ولا لی هلق هلا الحین "
        "وش ابی نبی بدنا فیها مع مش اشی"
    ).split()
)
PERSIAN_WORDS = frozenset(
    (
        "است هست نیست هستم نیستم میخواهم میخوام میخام میخایم چطور چطوری چه چی چیه کجا کجاست "
        "برای برا که را رو ره این اون شما میشه نمیشه باید دارم ندارم کنم بکنم میکنم کردم شده "
        "بگیرم بدم پیسه کدام کدوم چقدر از خانه خونه دیگه"
    ).split()
)
UKRAINIAN_WORDS = frozenset(
    "що як якщо це чи мені мій моя моє таке буде коли де ви є мене можу".split()
)
RUSSIAN_WORDS = frozenset(
    "что как если это мне мой моя такое будет когда где вы есть ли меня могу".split()
)
# Function words of German, English and French that are no word of the other served Latin-script
# languages (not "was", "die", "will", "am", "me", "on", "de", "et", "ne", "la", "ma", "du", "dem",
# "he", "be": English, German, Turkish, Somali or Kurmanji too). They overrule lingua when it takes
# an English or French sentence with one long German word ("Schwarzfahren", "Führerschein") for
# German.
GERMAN_FUNCTION_WORDS = frozenset(
    "ich der das und ist nicht mit von zu ein eine einen einem einer mein meine meinen meiner wie "
    "kann muss habe hab bei für fur auf oder wenn wo wann warum wer sie es er wir uns mir mich "
    "den des im zum vom beim noch schon bitte danke auch aber welche soll bekomme bekommen gibt "
    "jetzt weil dass sind hat haben wird kein keine ihr dieser diese".split()
)
ENGLISH_FUNCTION_WORDS = frozenset(
    "i the my to what how can do does is and of with from you it this that have has got must "
    "which who are or if when where why not at want need get should there they she we our "
    "your his her been did didnt dont doesnt cant for".split()
)
# Turkish question words and particles around German office words ("mitwirkungspflicht ne demek").
TURKISH_FUNCTION_WORDS = frozenset(
    "ne demek nedir neden niye nasıl nasil nerede nereden nereye kadar mi mı mu mü miyim mıyım "
    "muyum müyüm ile için icin bu bir var yok olur olmaz benim bana bende sizin hangi kimler gibi "
    "daha çok cok ama veya şey sey lazım lazim gerek yapmalıyım yapmaliyim".split()
)
FRENCH_FUNCTION_WORDS = frozenset(
    "je le les des est pour que qui quoi comment mon mes une dans avec sur pas il elle nous "
    "vous ai suis dois peux au aux ce cette qu j c".split()
)
# German administrative words clients keep in German whatever language they write in; they say
# nothing about that language, so they are left out before identification.
# Matched inside one whitespace-separated word at a time: `\S*term\S*` over the whole text
# backtracks in time quadratic in a word's length (a 20,000-letter word took 30 s).
_GERMAN_TERMS = re.compile(
    r"bürgergeld|grundsicherung|jobcenter|sozialamt|familienkasse|asylblg|sgb|bamf|duldung|"
    r"aufenthalts|fiktionsbescheinigung|meldebescheinigung|ausländerbehörde|integrationskurs|"
    r"bescheid|regelbedarf|mehrbedarf|freibetrag|kontoauszüge|kontoauszug|mietvertrag|"
    r"nachzahlung|unterkunft|kooperationsplan|erstausstattung|wohnsitzauflage|widerspruch|"
    r"krankenkasse|kindergeld|mietkaution|anmeldung|lohnabrechnung",
    re.IGNORECASE,
)
_BOOK_NUMBER = re.compile(r"(ii|2|xii|12)\W*", re.IGNORECASE)  # the "II" of "SGB II"
DARI_WORDS = frozenset("استم استی استید تشکر میخایم نمیفامم میفامم کجاستید".split())
# Frequent Somali words that are not words of the other Latin-script languages (not "ma", "ii",
# "bay", "ama", "sax": French, "SGB II", Turkish, Kurmanji); Somali also writes "ku", so it is
# checked before Kurmanji.
SOMALI_WORDS = frozenset(
    (
        "waxaan waxaad waxay wuxuu waxa waa waan waad maxaa maxay maxaan maxaad sidee sideed "
        "goorma xaggee halkee yaa kuma haa maya mahadsanid fadlan walaal sxb iyo laakiin haddii "
        "hadda ayaan ayaa ayay ayuu baan baad buu inaan inaad karaa kartaa karo rabaa rabo "
        "doonayaa doonaa baahanahay ballan ballanta ballantayda ballantaydu lacag lacagta "
        "lacagtayda xogtayda xogta iska salaan nabad nabadgelyo hagaag dabcan igu iga kuu kaa loo "
        "laga lagu tahay yahay yihiin ahay jiraa jirtaa jira qof shaqo maalin berri maanta "
        "toddobaadka xafiiska dukumentiyada carruurta guriga kirada luqadda magaca magacayga "
        "taariikhda aad anigoo sidaas kadib waxba walba dhan oo ahayn aqaan garanayo fahmin mise "
        "tan tani taas kan kee kuwee noocee maxuu ilaa una ugu sii wad qor sheeg ka dib mar dambe "
        "kale bilaash keenaa bixiyaa heli hel qabo tus xog haddaba"
    ).split()
)

# Arabic, Persian, Pashto and Tigrinya typed in Latin letters (Arabizi, Finglish …): frequent
# words that are not words of the Latin-script languages served, and Arabizi's digits for
# letters Latin lacks (3 ع).
ARABIZI_WORDS = frozenset(
    (
        "ana enta enti inta inti ehna e7na ni7na hiyye huwwe shu shou chou shoo sho esh eish "
        "wesh baddi badde biddi bidi bdi bde 3ayez 3ayza ayez ayza abgha abgh2 kif keef kaif "
        "kefak kifak izzay ezzay ezay leish lesh leh lih mish mesh msh mush mafi mafe ma3i "
        "ma3ak 3ndi 3andi 3indi 3ala 3la 3an 3ashan 3shan ashan 3shn ya3ni ya3ne yalla wallah "
        "walla inshallah habibi habibti marhaba mar7aba ahlan shukran shokran yislamo tayeb "
        "tayyeb aywa na3am la2 la2a fein feen wain lazem lazm momken mumken mumkin mnee7 kwayes "
        "hala2 halla hal2 delwa2ty dilwa2ti dlwa2ty hassa hessa shlon shlonak shlonkom shno "
        "shinu shako ako mako hasa ma3lesh kaman kamaan fulus floos flous masari masare masaari "
        "e3tizar keda kida kdh ba3d ba3den ba3dain 3ashara shaghle shoghl sho8l ta3ban akid sa7 "
        "ghalat ma3 el3amal elwara2 wara2 awra2 el wiyyay wiyya minu meen mn wla wala asawi "
        "awal marra btebda yeji bel lal lel fi hiye hiya hwe huwe yakhud shughla zabt alaqi "
        "majjaniye mjanan jdida jdid wach kaykhles ykoon badal ma3ash khilas khalas ykammil "
        "awraq ajib btib2a walad twaldat madi shahr aktob yom bikallef taba3i bishoof bayanat "
        "elli illi intu ma3lomat byedfa3 ayyhum a7san ahsan eshtaghalt sa3at biyakhod morattab "
        "ligit shughul shgad ykhalli ili madrase madrasa ibni binti baddo bidfa3 ghada aku "
        "musa3ada atfal kifash kifach kifesh bghit bghina bghiti nqdem ndir dyal dial dyali "
        "diali bzaf bezzaf wlidi wladi daba chhal nlqa alga gareeb wein lissa lessa hada "
        "bbalash bilash balash iza eza chno chnou khassni njib kandir fhemtch chkoun bisajjel "
        "kalami tanya wesletni asajjil bitshil "
        # In three or more Arabizi training lines and no other language's (Dec 2026).
        "dayir chhar lflous rani bach kayn kol fih ghadi liya wlad kahraba kil mrati ghir nheb "
        "emta shnu jatni fel kont fiha ijar ejar kel hna famma nmchi menni snin flos sakan "
        "chnowa wela jani zyada nbi shin bukra mazal awel khedma abl afham shahar mni nabi "
        "fatni lkra nkhdem walakin wilaya nafs madine qarar tanye ghali kteer nekhdem chwiya "
        "mnin nakhod nhar kaykhalles haja khddam wildi ddar lia gurush wajibat gdida momkin "
        "zol maktoob amshi shahadti jdide risale kunt akhadt lsa waraqa zawjti abel zyade "
        "akbar mktoob jat bdebt lmakla chhour kaml jibi mra barcha mli howa khdit kayen ghedwa "
        "mrida tawa kifech nimshi houni fabor lugha shahada nchri kamil daira ratib akhi akl "
        "ahli agdar talab kello shahrein mnein ashtghil matloob shahadat ilha wasalni nadi aji "
        "bisir"
    ).split()
)
FINGLISH_WORDS = frozenset(
    (
        "chi chie chiye chiyeh chera chetor chetori chetoram chejoori koja kojast kojaye mikham "
        "mikhaam mikhay mikhad mikhaad mikhaym mikhaim mekhaym mekhayom mekham mitoonam mitunam "
        "mitonam mitanam mitanum mishe mishavad nemishe nemitoonam bayad baiad nabayad nadaram "
        "nadarim daram darim hastam hastim nistam nist nis kardam kardim konam konom bokonam "
        "bokonom mikonam mikonom nemikonam begiram begirom bedam bedim midan midand nemidan "
        "pool poolam poolemoon pulam paisa paise paysa peyse khoone khooneh khune khane khaneh "
        "khunam lotfan lotfn mamnoon mamnun mamnonam baraye barayeh vaghti vaqti agar ageh "
        "chand chanta cheghadr cheqadr nemidoonam nemidunam nemifamam midunam midoonam khodam "
        "khodemoon bache bacheha bachaha zanam shoharam shoharom madarek madrak tarikh vaght "
        "nobat ejare ejareh kerayeh kiraya kamak komak soal savaal khastam mekhastam dorost "
        "doroste ghat qat gerftam gereftam kodom kodam kojas chekar chikar chikara hamchenin "
        "hasti asti hastid nadari darid chetore mikhastam mixam mixay vaqt wakht waqt vaqtam "
        "wakhtam nobatam bezar bezarid kon konid nakon nakone dastet khaste nabashid tashakor "
        "tashakur teshekkor mefahmidam mifahmam mezanom mizanam kheili kheyli khaili khob khoob "
        "khub behtare behtar farda emroz emrooz dige digeh shode shodeh yadam rafte esmesh avaz "
        "farq fargh mede poshesh hafte hafta chande bara mara laghw nametanom nemitanam biyayam "
        "biyam kasi inja unja oonja begid begoo bego migan migam mige vaghei gooshi kodoom "
        "cheghad ghabl baad kheyr ro begire miad miyad mirese oomade omade umade neveshte "
        "hozoori dadam beram boro biyad kharje mano aval rooz ruz hesab haqq haghe daneshjoo "
        "edare masool javab mete tamdid nemifahmam hamun hamoon panahandegi gereft gereftan "
        "bebaram "
        # In three or more Finglish training lines and no other language's (Dec 2026).
        "mide jadid ham mah mikonan mikone peyda biyaram yak dare bedom pardakht migiram eqamat "
        "hazine begam raygan bacha madrese"
    ).split()
)
PASHTO_LATIN_WORDS = frozenset(
    (
        "zma zama zmaa laram larom lari rakawi rakai ghwaram gwaram ghwarum ghwaro ghwari "
        "ghwaray warkawi warkai warkri warkram warkam warkawam tsok tsanga sanga tsenga kra kri "
        "kro kram okram okri wayi wayam wayem kawi kawam kawalay kawal kawom cherta chiri rata "
        "tsumra sumra wrora wror shay shai kegi kezhi kedai kedey kigi raghlay raghle raghli "
        "shta nishta khaza khazi mrasta mrsta akhlam akhistay akhistal pohegam pohezham pohegum "
        "wriya mashuman mashum ranzoor wraz miasht bandawi tlal likalay likal rawram zoy zoe "
        "raka jaba zhaba shwa shwi shwe dzam mehrabani manana mnana pukhto pashto paisey paisay "
        "yaw yem dy dai daghe dagha chirta wulikam waleygum wotakam jorawm wakram walwalam "
        "latawam khatmawal kholawal majburawi wokro wubakhi staray warkary warkaray wakhista "
        "lekal shawi ijazat makhke maloliyat pakar tola "
        # In three or more Latin-letter Pashto training lines and no other language's (Dec 2026).
        "sa pa ao sham yam kom za paise tsa lik sok paida bya nawe dre wam lar kho dak wapas "
        "lare pata asalamu khair saray saba mulaqat darkhwast wale pese shar kada mokhke "
        "tlalay malumat"
    ).split()
)
TIGRINYA_LATIN_WORDS = frozenset(
    (
        "kemey kemay kamey entay entai intay iyu eyu iyom iya diyu diyom dyu genzeb genzebey "
        "ganzeb aleni aleka aleki alekum alewu alewa alewo abey abzi delye deleye kendey yikeal "
        "yikealle werhi hiji hadish rekibe qotsera kotsera sebeytey sebay sirah srah kiheb "
        "ayenay yihatet kulu qolu qolea kiqeyir metsiuni metsie yimetsi yikhefil yikefil "
        "yixefil yikhefleni yiblu yiblewo geza gezay maelet kiwesid semun bzuh yebleyn yeblen "
        "yelen yirkeb kiray kihatet kikid kkeyd ikeyd ayfelten wereqet wereqat yiwehab yihib "
        "debdabe neyre meealti wedey wedie kihbir ketema kihiz yigbaeni geyre kigebir ykewin "
        "mebrahti gega hazi gualey gere gerre dikha yiatu yihabuni lomi kabey yiqnso kgbr eqhu "
        "iserih zizareb kikhfl yinbab yidli yeqenyeley terminey nmntay yihagzeni kimezgeb "
        "kijemir zijemir tsenihu menyu kikfet zeleni hawey xbuk tsbuq yixtsaf yikfelo ykfelo "
        "yikfilo yqortsu kndey ntay ygbr yigber efelitom ziblu werhat yimlket yideli bnetsa "
        "yiqores qeyre yiteqemu yikefetuli kartey tefiea kihbo felleyom yitelagets yigebru "
        "ayfeltekun diyom felay yisrah yifelelu qeyire tewedie kimerets yiqebelo yiqelil "
        "ayhalefkun yitqebel yigeber ketemana kidley kinebeb yigebir bnatsa yihagzu yihiz "
        "zimekir kihiz yigeza yinewih yiqeyir tsbah zinab yikhefet yiwedae ayterkibenin yikebir "
        # In the Latin-letter Tigrinya training lines and no other language's; common verb forms.
        "kab wey amet ane giz hade seb qolu'e kilte gin gena qolu'ey ezi megbi wesakhi hibe "
        "ayekhielen yiseded kikeyd qdmi koynu habuni hagez yijemir qedem yitsihaf kihib kdan "
        "werhawi aykeydkun kirekib metsieni ayhabunin hbreta shimu teqeyiru aleku haftey dehri "
        "seleste kgebr yiblo kimelso timhirti ngeruni aykedkun yimela fqad metsiani zihalafeni "
        "bejakum kindey zeleku yiwesd zelewo yigbao kiseded bizey mewedaita yihabu yihagz "
        "kiqortsu gezana tsor nfsi metsiu yitrefeni jemire kelekhu yiqnsu kimels kiqeyro "
        "yikewn tmali neyru halifuni yiqortsu sirahey yidliyu kiwetsie melsi teatsihifu "
        "yirieyo yihibeni ehder kidmi wedi kinabir gudday wereqetey zihagez zidleyu kimtsa "
        "mealti kardey nay nab iye ale alleni hji hgi gze gize gizee zeatu ilom ksab nabey "
        "geire yikealu ykeal ykealo ykeflu yikefl ykefl yikeflu "
        # In three or more of its Latin-letter training lines and no other language's (night; not
        # "allo", French on the phone, nor the loans "habibi", "hakim", "addis", "jc", "atest").
        "alo mesa ey tray zi melis adey grdi mesel wn msi eti"
    ).split()
)
# Tigrinya's question particle ዶ closes a question after a verb ("yikeal do?"); English "do" there
# follows a function word ("what can I do?").
_QUESTION_DO = re.compile(r"(\w+)\s+do\s*(?:\?|$)", re.IGNORECASE)
# A digit inside a word ("a3mel", "isti4ara"), before its letters ("3ndi") or after them ("aroo7"),
# not "B2", "ALG2" or "Hartz4".
_ARABIZI_DIGIT = re.compile(r"[a-z][2345789][a-z]|^[23579][a-z]{2}|[a-z]{2}[3579]$")


@dataclass(frozen=True)
class Detection:
    language: str | None
    confidence: float
    reason: str


@lru_cache(maxsize=1)
def _detector():
    # High-accuracy mode is lingua's default; preload so the first client does not wait.
    return (
        LanguageDetectorBuilder.from_languages(*LINGUA_CODES.values())
        .with_preloaded_language_models()
        .build()
    )


def warm_up() -> None:
    _detector()
    letter_model()


def _lingua(text: str, candidates: tuple[str, ...]) -> Detection:
    values = _detector().compute_language_confidence_values(text)
    scores = {code: 0.0 for code in candidates}
    by_language = {value.language: value.value for value in values}
    for code in candidates:
        scores[code] = by_language.get(LINGUA_CODES[code], 0.0)
    total = sum(scores.values())
    if total <= 0:
        return Detection(None, 0.0, "lingua:none")
    best = max(scores, key=scores.get)
    return Detection(best, scores[best] / total, "lingua")


def without_german_terms(text: str) -> str:
    """`text` without the words that contain a German administrative term (and the book number
    after "SGB")."""
    kept: list[str] = []
    after_sgb = False
    for word in text.split():
        term = _GERMAN_TERMS.search(word)
        if term is None and not (after_sgb and _BOOK_NUMBER.fullmatch(word)):
            kept.append(word)
        after_sgb = term is not None and term.group(0).lower() == "sgb"
    return " ".join(kept)


def _leader(counts: dict[str, int], at_least: int, margin: int = 1) -> str | None:
    """The language with the most cue words, when it has at least `at_least` of them, more than
    the next one and `margin` times as many."""
    (best, most), (_, second) = sorted(counts.items(), key=lambda count: -count[1])[:2]
    return best if most >= at_least and most > second and most >= margin * second else None


def _latin_cues(text: str, words: list[str]) -> dict[str, int]:
    """Cue words of Arabic, Persian, Pashto and Tigrinya typed in Latin letters."""
    questions_with_do = sum(
        word.lower() not in ENGLISH_FUNCTION_WORDS for word in _QUESTION_DO.findall(text)
    )
    return {
        "ar": sum(w in ARABIZI_WORDS or bool(_ARABIZI_DIGIT.search(w)) for w in words),
        "fa": sum(w in FINGLISH_WORDS for w in words),
        "ps": sum(w in PASHTO_LATIN_WORDS for w in words),
        "ti": sum(w in TIGRINYA_LATIN_WORDS for w in words) + questions_with_do,
    }


def _typed_in_latin_letters(
    text: str, words: list[str], by_letters: str | None
) -> Detection | None:
    """Arabic, Persian, Pashto or Tigrinya typed for want of a keyboard: when one has clearly the
    most cue words (at least 2, and a quarter of the words), or when its letter sequences fit it
    best and it has a cue word. Replies come in the language's script."""
    cues = _latin_cues(text, words)
    by_words = _leader(cues, at_least=max(2, len(words) // 4))
    if by_words is not None:
        return Detection(by_words, 0.85, f"words:{by_words}-in-latin")
    # Either alone takes other languages' messages for these (a shared word, a similar spelling);
    # together, five-fold on the 25,776 Latin-letter training lines, they lost one of another
    # language.
    if by_letters in cues and cues[by_letters] >= 1:
        return Detection(by_letters, 0.8, f"letters+words:{by_letters}-in-latin")
    return None


def _function_words(words: list[str]) -> dict[str, int]:
    return {
        "de": sum(w in GERMAN_FUNCTION_WORDS for w in words),
        "en": sum(w in ENGLISH_FUNCTION_WORDS for w in words),
        "fr": sum(w in FRENCH_FUNCTION_WORDS for w in words),
        "tr": sum(w in TURKISH_FUNCTION_WORDS for w in words),
    }


_CUE_WORDS_BESIDE_GERMAN = {
    "en": ENGLISH_FUNCTION_WORDS,
    "fr": FRENCH_FUNCTION_WORDS,
    "tr": TURKISH_FUNCTION_WORDS,
    "so": SOMALI_WORDS,
}


def _kurmanji_by_letters(words: list[str], by_letters: str | None) -> bool:
    """Kurmanji typed without ê î û ç ş has few cue words, and lingua knows no Kurmanji: one cue
    word and letter sequences that fit Kurmanji best (five-fold on the Latin-letter training
    lines: ku 4,379 -> 4,429 of 4,511, no line of another language taken)."""
    return by_letters == "ku" and any(w in KURMANJI_WORDS for w in words)


def _latin_script_language(
    text: str, words: list[str], had_terms: bool, by_letters: str | None
) -> Detection:
    """German, English, French, Turkish, Somali or Kurmanji, for a text in Latin letters."""
    so_words = sum(w in SOMALI_WORDS for w in words)
    # Somali writes long vowels double (aa ii uu), the other Latin-script languages hardly ever.
    somali_spelling = bool(so_words) or any(_SOMALI_VOWELS.search(w) for w in words)
    # Both write "ku": in a Somali-looking text it is not a Kurmanji cue.
    ku_words = sum(w in KURMANJI_WORDS for w in words) - (
        words.count("ku") if somali_spelling else 0
    )
    if so_words >= max(1, len(words) // 3) and so_words > ku_words:
        return Detection("so", 0.9, "words:somali")
    if not _TURKISH_ONLY_LETTERS.search(text):
        if ku_words >= max(1, len(words) // 3):
            return Detection("ku", 0.9, "words:kurmanji")
        # French also writes ê î û, so the letters count only when the text is not French.
        if _KURMANJI_LETTERS.search(text) and not _FRENCH_LETTERS.search(text):
            return Detection("ku", 0.85, "letters:kurmanji")
    if had_terms and len(words) <= 3:
        # "Was ist Bürgergeld?": too little left for statistics; function words decide.
        counts = _function_words(words)
        if counts["de"] != counts["en"]:
            return Detection("de" if counts["de"] > counts["en"] else "en", 0.85, "words:de-en")
    # Without any Somali look, lingua takes short English or French for Somali ("I say no").
    result = _lingua(text, LATIN if somali_spelling or "ma" in words else LATIN_WITHOUT_SOMALI)
    if result.language == "de":
        # One long German word ("Schwarzfahren") makes lingua say German: function words decide
        # (at least two, and twice as many as the next language's).
        by_function_words = _leader(_function_words(words), at_least=2, margin=2)
        if by_function_words in ("en", "fr", "tr"):
            return Detection(by_function_words, 0.9, f"words:{by_function_words}")
        # Without one German function word, a language with one cue word whose letters fit best
        # (five-fold on the Latin-letter training lines en, fr, so, tr +29 lines, de -1).
        if not any(w in GERMAN_FUNCTION_WORDS for w in words):
            cue_words = _CUE_WORDS_BESIDE_GERMAN.get(by_letters or "", frozenset())
            if any(w in cue_words for w in words):
                return Detection(by_letters, 0.8, f"letters+words:{by_letters}")
    if (
        result.language == "tr"
        and _NOT_TURKISH_LETTERS.search(text)
        and not _TURKISH_ONLY_LETTERS.search(text)
    ):
        # Turkish writes no q, w or x; Kurmanji does ("xweş", "qeyd", "we"), lingua knows no
        # Kurmanji.
        return Detection("ku", 0.85, "letters:qwx")
    return result


def detect(text: str) -> Detection:
    """Best served language for one message; language None when the text has no letters."""
    text = unicodedata.normalize("NFC", text or "").strip()
    # Marks with no precomposed letter (Arabic harakat, Russian stress marks) would split words:
    # "تُسدَّد" into "ت سد د", and "د" is Pashto's "of".
    text = without_marks(text)
    if not text or text.startswith("/"):
        return Detection(None, 0.0, "empty")
    stripped = vocabulary().without_office_words(without_german_terms(text)).strip()
    had_terms = stripped != text
    text = stripped or text
    words = [w.lower() for w in _WORD.findall(text)]
    if _ETHIOPIC.search(text):
        return Detection("ti", 0.99, "script:ethiopic")
    n_arabic = len(_ARABIC.findall(text))
    n_cyr = len(_CYRILLIC.findall(text))
    n_latin = len(_LATIN.findall(text))
    # Any real amount of a non-Latin script decides the script (Latin may be names or terms).
    if n_arabic >= 2 and n_arabic >= n_cyr:
        if _SORANI_LETTERS.search(text):
            return Detection("ckb", 0.95, "letters:sorani")
        folded = [word.translate(_YEH_KAF) for word in words]
        arabic_words = sum(w in ARABIC_WORDS for w in folded)
        persian_words = sum(w in PERSIAN_WORDS for w in folded)
        shared_pashto = len(SHARED_PASHTO_WORDS.intersection(words))
        if (
            _PASHTO_LETTERS.search(text)
            or any(w in PASHTO_WORDS for w in words)
            or shared_pashto >= max(2, arabic_words + 1, persian_words + 1)
        ):
            return Detection("ps", 0.95, "letters:pashto")
        persian = len(_PERSIAN_LETTERS.findall(text))
        arabic = len(_ARABIC_ONLY_LETTERS.findall(text))
        if arabic_words != persian_words:
            result = Detection(
                "ar" if arabic_words > persian_words else "fa", 0.9, "words:arabic-persian"
            )
        elif persian and not arabic:
            result = Detection("fa", 0.95, "letters:persian")
        elif arabic and not persian:
            result = Detection("ar", 0.95, "letters:arabic")
        else:
            result = _lingua(text, ARABIC_SCRIPT)
        if result.language == "fa" and any(w in DARI_WORDS for w in words):
            return Detection("fa_AF", result.confidence, result.reason + "+dari")
        return result
    if n_cyr >= 2:
        if _UKRAINIAN_LETTERS.search(text) and not _RUSSIAN_LETTERS.search(text):
            return Detection("uk", 0.95, "letters:ukrainian")
        if _RUSSIAN_LETTERS.search(text) and not _UKRAINIAN_LETTERS.search(text):
            return Detection("ru", 0.95, "letters:russian")
        uk_words = sum(w in UKRAINIAN_WORDS for w in words)
        ru_words = sum(w in RUSSIAN_WORDS for w in words)
        if uk_words != ru_words:
            return Detection("uk" if uk_words > ru_words else "ru", 0.9, "words:cyrillic")
        return _lingua(text, CYRILLIC)
    if n_latin:
        by_letters = letter_model().most_likely(text)  # once: three rules below weigh it
        typed_in_latin = _typed_in_latin_letters(text, words, by_letters)
        if typed_in_latin is not None:
            return typed_in_latin
        result = _latin_script_language(text, words, had_terms, by_letters)
        if result.language in LATIN and _kurmanji_by_letters(words, by_letters):
            return Detection("ku", 0.8, "letters+words:ku")
        return result
    return Detection(None, 0.0, "no-letters")
